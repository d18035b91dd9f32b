"""Unit tests of ``ecs_exposure.exposure``, one file per module."""
