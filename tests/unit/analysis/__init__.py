"""Unit tests of ``ecs_exposure.analysis``, one file per module."""
