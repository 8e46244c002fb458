"""A load killed in the middle (SIGKILL during COPY) leaves the previous version live."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bench.data import make_polygons
from buergergis.settings import Settings
from tests.ingest_helpers import layer_state, run_cli

COPYING = (
    "FROM pg_stat_activity WHERE datname = current_database()"
    " AND application_name = 'buergergis-import' AND query ILIKE 'COPY%' AND state <> 'idle'"
)


def _wait_for(engine: Engine, sql: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(text(sql)).scalar():
                return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_killed_during_copy_keeps_old_version(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    small, big = (
        make_polygons(tmp_path / "alt.fgb", 50),
        make_polygons(tmp_path / "neu.fgb", 150_000),
    )
    assert run_cli(settings, "import", str(small), "--id", "opfer").code == 0
    before = layer_state(engine, "opfer")
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "BUERGERGIS_VAR_DIR": str(settings.var),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "buergergis.cli", "import", str(big), "--id", "opfer"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(engine, f"SELECT count(*) > 0 {COPYING}"), (
            "der Ladevorgang hat COPY nie erreicht"
        )
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert _wait_for(engine, f"SELECT count(*) = 0 {COPYING}"), "die Transaktion muss abbrechen"
    assert layer_state(engine, "opfer") == before
    with engine.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM layers."opfer"')).scalar_one() == 50
        tables = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'layerdata' AND tablename LIKE 'opfer\\_\\_v%'"
            )
        ).scalar_one()
    assert tables == 1, "keine halbfertige Versionstabelle darf übrig bleiben"
    # The killed process left its work folder; the next load removes it (and its own).
    work = settings.var / "tmp"
    assert list(work.glob(f"bg-load-{proc.pid}-*")), "the killed load had a work folder"
    assert run_cli(settings, "import", str(small), "--id", "opfer").code == 0
    assert not list(work.glob(f"bg-load-{proc.pid}-*"))
    assert not list(work.glob(f"bg-load-{os.getpid()}-*"))


def test_failed_cast_keeps_old_version(tmp_path: Path, settings: Settings, engine: Engine) -> None:
    good = tmp_path / "gut.csv"
    good.write_text("name,x,y,anzahl\nA,9.35,52.1,3\n")
    layers = tmp_path / "layers"
    assert (
        run_cli(settings, "import", str(good), "--id", "zaehlung", "--crs", "EPSG:4326").code == 0
    )
    before = layer_state(engine, "zaehlung")
    bad = tmp_path / "schlecht.geojson"
    bad.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},'
        '"geometry":{"type":"Point","coordinates":[200,100]}}]}'
    )
    result = run_cli(settings, "import", str(bad), "--id", "zaehlung")
    assert result.code != 0 and "außerhalb" in result.output, result.output
    assert layer_state(engine, "zaehlung") == before
    assert not layers.exists()
