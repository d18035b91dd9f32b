"""Unit tests of ``ecs_exposure.sources``, one file per module."""
