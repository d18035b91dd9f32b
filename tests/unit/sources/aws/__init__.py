"""Unit tests of ``ecs_exposure.sources.aws``, one file per module."""
