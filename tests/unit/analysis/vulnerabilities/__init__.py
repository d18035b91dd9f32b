"""Unit tests of ``ecs_exposure.analysis.vulnerabilities``, one file per module."""
