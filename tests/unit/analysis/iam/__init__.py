"""Unit tests of ``ecs_exposure.analysis.iam``, one file per module."""
