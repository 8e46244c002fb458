"""``make bench`` works in a database of its own and drops it, even when a section fails."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from bench.run import bench_context
from buergergis.db.cluster import tcp_url
from buergergis.settings import load_settings


def _databases() -> set[str]:
    with psycopg.connect(tcp_url(load_settings()), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def test_bench_database_is_separate_and_dropped_even_on_failure() -> None:
    city = load_settings()
    with pytest.raises(RuntimeError, match="Abschnitt"), bench_context() as (settings, engine):
        name = engine.url.database
        assert name and name.startswith("buergergis_bench_") and name != city.pg_database
        assert settings.var != city.var
        with engine.begin() as conn:
            assert conn.execute(text("SELECT postgis_version()")).scalar()
            assert conn.execute(text("SELECT count(*) FROM buergergis.layer")).scalar() == 0
        assert name in _databases()
        raise RuntimeError("Abschnitt fehlgeschlagen")
    assert name not in _databases()
