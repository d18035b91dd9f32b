"""The store's Alembic migrations, shipped in the package and run on every open
(:func:`ecs_exposure.store.engine.open_store`): upgrading the tool upgrades the store."""
