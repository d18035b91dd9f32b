"""Alembic's entry point: migrate the connection the store opened (never a URL of its own,
so no ``alembic.ini`` is needed at run time)."""

from __future__ import annotations

from alembic import context

from ecs_exposure.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
