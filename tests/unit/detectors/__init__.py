"""Unit tests of ``ecs_exposure.detectors``, one file per module."""
