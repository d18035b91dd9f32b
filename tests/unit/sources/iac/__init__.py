"""Unit tests of ``ecs_exposure.sources.iac``, one file per module."""
