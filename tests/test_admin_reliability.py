"""Reliability: a replacement killed mid-way leaves the live layer intact; concurrent
replacements of one layer are serialised, both audited, and the last one wins cleanly."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.admin.uploads import uploads_root
from buergergis.settings import Settings
from buergergis.store import audit, versions
from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    editor,
    geojson_bytes,
    point,
    replace,
    upload,
    upload_and_publish,
)

KILL_SCRIPT = """
import os, signal, sys
from buergergis.admin import publish, uploads
from buergergis.admin.doctor import PreviewOptions
from buergergis.db.engine import make_engine
from buergergis.settings import load_settings
from buergergis.store import versions

database_url, var_dir, upload_id, layer_id = sys.argv[1:5]
settings = load_settings(database_url=database_url, var_dir=var_dir)
engine = make_engine(settings)
upload = uploads.open_upload(settings, upload_id, "", is_admin=True)

def killed(*args, **kwargs):
    # The new version table is written and indexed; the process dies before the swap.
    os.kill(os.getpid(), signal.SIGKILL)

versions.point_view = killed
publish.replace_layer(settings, engine, upload, PreviewOptions(), layer_id, "tests")
"""


def names(count: int, label: str) -> bytes:
    return geojson_bytes(
        [point(9.35 + i / 1000, 52.10, nr=i + 1, name=f"{label} {i + 1}") for i in range(count)]
    )


def live(engine: Engine, layer_id: str) -> tuple[int, list[str]]:
    with engine.connect() as conn:
        version = conn.execute(
            text("SELECT version FROM buergergis.layer WHERE id = :id"), {"id": layer_id}
        ).scalar_one()
        rows = conn.execute(text(f'SELECT name FROM layers."{layer_id}" ORDER BY gid')).scalars()  # noqa: S608
        return version, list(rows)


def tables(engine: Engine, layer_id: str) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'layerdata' AND tablename LIKE :p"
                ),
                {"p": f"{layer_id}\\_\\_v%"},
            ).scalars()
        )


def test_killed_replacement_leaves_live_layer_intact(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    upload_and_publish(client, editor, names(3, "Alt"), "alt.geojson", "ueberlebt")
    before_live, before_tables = live(engine, "ueberlebt"), tables(engine, "ueberlebt")
    staged = upload(client, editor, names(50, "Neu"), "neu.geojson").get_json()
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            KILL_SCRIPT,
            settings.database_url or "",
            str(settings.var),
            staged["id"],
            "ueberlebt",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert live(engine, "ueberlebt") == before_live
    assert tables(engine, "ueberlebt") == before_tables
    assert (uploads_root(settings) / staged["id"]).is_dir()  # left for the stale cleanup
    after = replace(client, editor, names(2, "Danach"), "danach.geojson", "ueberlebt")
    assert after.status_code == 200, after.get_json()
    assert live(engine, "ueberlebt")[1] == ["Danach 1", "Danach 2"]
    sources = settings.var / "sources" / "ueberlebt"
    assert staged["id"] not in {p.name for p in sources.iterdir()}


def _waiting_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                    " WHERE l.locktype = 'advisory' AND NOT l.granted"
                    " AND d.datname = current_database()"
                )
            ).scalar_one()
        )


def test_concurrent_replacements_are_serialised(app: Flask, editor: Staff, engine: Engine) -> None:
    client = app.test_client()
    upload_and_publish(client, editor, names(1, "Start"), "start.geojson", "parallel")
    data = {"B": names(2, "B"), "C": names(3, "C")}
    staged = {
        k: upload(client, editor, v, f"{k}.geojson").get_json()["id"] for k, v in data.items()
    }
    results: dict[str, Any] = {}

    def run(label: str) -> None:
        response = app.test_client().post(
            f"/admin/api/uploads/{staged[label]}/replace",
            headers=editor.bearer,
            json={"layer": "parallel"},
        )
        results[label] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(k,)) for k in data]
    with engine.connect() as conn, conn.begin():
        versions.lock_layer(conn, "parallel")  # both requests will queue behind this lock
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 240
        while _waiting_locks(engine) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_locks(engine) == 2
    for thread in threads:
        thread.join(timeout=240)
    assert {k: v[0] for k, v in results.items()} == {"B": 200, "C": 200}
    made = {k: v[1]["version"] for k, v in results.items()}
    assert made["B"] != made["C"]
    winner = max(made, key=lambda k: made[k])
    version, rows = live(engine, "parallel")
    assert version == made[winner]
    assert (
        rows == [f"{winner} {i + 1}" for i in range(len(rows))]
        and len(rows) == {"B": 2, "C": 3}[winner]
    )
    with engine.connect() as conn:
        entries = [e for e in audit.entries(conn, layer_id="parallel") if e.action == "replace"]
        history = conn.execute(
            text(
                "SELECT version, feature_count FROM buergergis.layer_version WHERE layer_id = 'parallel'"
            )
        ).all()
    assert sorted(e.version for e in entries) == sorted(made.values())
    assert {(r.version, r.feature_count) for r in history} >= {(made["B"], 2), (made["C"], 3)}
    assert len(tables(engine, "parallel")) == 3
