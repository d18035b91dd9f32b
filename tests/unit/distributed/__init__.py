"""Tests of ``ecs_exposure.distributed``."""
