"""Allow ``python -m ecs_exposure``."""

from ecs_exposure.cli import main

if __name__ == "__main__":
    main()
