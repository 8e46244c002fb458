"""The profile of ``make bench`` (bench/profile.py): py-spy samples the gunicorn workers of a
real server under load, and each sample lands in the part of the process it belongs to."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import profile
from buergergis.settings import Settings
from tests.server_support import gunicorn


def test_stacks_land_in_the_innermost_known_part() -> None:
    flask = "dispatch_request (flask/app.py:880)"  # py-spy: relative to site-packages
    ours = "items (buergergis/web/ogc.py:120)"
    json = "encode (/usr/lib/python3.11/json/encoder.py:200)"
    driver = "execute (psycopg/cursor.py:97)"
    assert profile.part_of(f"{flask};{ours};{json}") == "JSON/GeoJSON kodieren"
    assert profile.part_of(f"{flask};{ours};{driver}") == "PostgreSQL-Treiber (psycopg)"
    assert profile.part_of(f"{flask};{ours};sleep (<built-in>)") == "BürgerGIS"
    assert profile.part_of(flask) == "Flask/Werkzeug"
    werkzeug = "_wsgi_decoding_dance (werkzeug/_internal.py:30)"
    assert profile.part_of(f"{ours};{werkzeug}") == "Flask/Werkzeug"
    assert profile.part_of("x (notbuergergis/a.py:1)") == profile.OTHER
    assert profile.part_of("run (/usr/lib/python3.11/threading.py:1)") == profile.OTHER
    raw = f"{flask};{ours} 3\n{flask};{ours};{json} 2\nmalformed\n"
    assert profile.breakdown(raw) == {"BürgerGIS": 3, "JSON/GeoJSON kodieren": 2}


@pytest.fixture()
def app_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    env = {
        "DATABASE_URL": str(settings.database_url),
        "BUERGERGIS_VAR_DIR": str(tmp_path / "var"),
        "BUERGERGIS_SECRET_KEY": "profile-test",
    }
    with gunicorn(env, workers=2, threads=2) as url:
        yield url


def test_workers_are_sampled_under_load(app_server: str) -> None:
    port = int(app_server.rsplit(":", 1)[1])
    assert len(profile.listening_pids(port)) == 3  # master and both workers
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            with urllib.request.urlopen(app_server + "/ogc/collections?f=json", timeout=20) as r:
                r.read()

    def timed_load() -> None:
        clients = [threading.Thread(target=load) for _ in range(2)]
        for client in clients:
            client.start()
        stop.wait(3)
        stop.set()
        for client in clients:
            client.join()

    parts = profile.profile(port, timed_load, 3)
    total = sum(parts.values())
    assert total > 20, parts  # the workers were busy and sampled (GIL held: Python at work)
    assert parts["Flask/Werkzeug"] + parts["BürgerGIS"] > 0, parts
    rows = profile.table(parts)
    assert rows[0].startswith("| Teil des Prozesses") and f"| {total:,} |" in rows[-1]
