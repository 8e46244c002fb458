"""Alembic environment: online migrations only, against the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

config = context.config


def run_migrations_online() -> None:
    """Run all pending migrations in one transaction, serialised by an advisory lock."""
    engine = create_engine(
        config.get_main_option("sqlalchemy.url") or "",
        poolclass=pool.NullPool,
        hide_parameters=True,
    )
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(hashtext('buergergis.migrate'))"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public"))
        connection.execute(text("CREATE SCHEMA IF NOT EXISTS buergergis"))
        connection.commit()
        context.configure(
            connection=connection, version_table_schema="buergergis", transactional_ddl=True
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        connection.execute(text("SELECT pg_advisory_unlock(hashtext('buergergis.migrate'))"))
        connection.commit()


run_migrations_online()
