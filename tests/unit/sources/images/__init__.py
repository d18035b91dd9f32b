"""Unit tests of ``ecs_exposure.sources.images``, one file per module."""
