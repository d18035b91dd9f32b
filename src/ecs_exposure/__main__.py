"""Allow ``python -m ecs_exposure``."""

from ecs_exposure.cli import main

main()
