"""Unit tests of ``ecs_exposure.remediation``, one file per module."""
