"""Unit tests of ``ecs_exposure.reporters``, one file per module."""
