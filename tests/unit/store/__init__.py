"""Unit tests of ``ecs_exposure.store``, one file per module; each store test runs on SQLite
and on a throwaway PostgreSQL server (``support.postgres``)."""
