"""Helpers for ingest tests: run the real CLI against the session database."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner
from sqlalchemy import Engine, text

from buergergis.cli import cli
from buergergis.settings import Settings


@dataclass(frozen=True)
class CliResult:
    """Exit code and combined output of one CLI call."""

    code: int
    output: str


def run_cli(settings: Settings, *args: str) -> CliResult:
    """Invoke ``buergergis ARGS`` in-process with the session's database and var/."""
    env = {
        "DATABASE_URL": settings.database_url or "",
        "BUERGERGIS_VAR_DIR": str(settings.var),
        "BUERGERGIS_ROOT": str(settings.root),
    }
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        from buergergis.errors import BuergerGISError

        if isinstance(result.exception, BuergerGISError):
            return CliResult(2, result.output + result.exception.description)
        raise result.exception
    return CliResult(result.exit_code, result.output)


def layer_state(engine: Engine, layer_id: str) -> tuple[int, int] | None:
    """(version, feature_count) from the catalog, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT version, feature_count FROM buergergis.layer WHERE id = :id"),
            {"id": layer_id},
        ).one_or_none()
    return (row.version, row.feature_count) if row else None


def live_rows(engine: Engine, layer_id: str, columns: str = "fid") -> list[tuple]:
    """Rows of the live view (column list is test-controlled, not user input)."""
    with engine.connect() as conn:
        sql = f'SELECT {columns} FROM layers."{layer_id}" ORDER BY gid'  # noqa: S608
        return [tuple(r) for r in conn.execute(text(sql))]
