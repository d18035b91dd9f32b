"""Unit tests of ``ecs_exposure.sources.scanners``, one file per module."""
