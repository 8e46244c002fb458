"""Run the Alembic migrations of BürgerGIS's own tables (``buergergis`` schema)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from buergergis.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    """An Alembic config pointing at the packaged migrations and the configured database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.sqlalchemy_url().replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(settings), revision)
