"""The findings store: every scan recorded in SQLite or PostgreSQL (SQLAlchemy 2, Alembic
migrations run on open), each finding's lifecycle across scans, store suppressions with their
audit log, and the typed read API the ``history`` and ``diff`` commands and the dashboard use."""
