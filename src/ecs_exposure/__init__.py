"""ecs-exposure: find, rank and fix the security exposures of Amazon ECS services."""

__version__ = "0.1.0"
