"""Unit tests of ``ecs_exposure.analysis.images``, one file per module."""
