"""A database outage under load: every route answers 503 with ``Retry-After``, never 500; the
log says once that the database is gone and once that it is back; recovery is automatic.

The test runs its own PostgreSQL cluster (the project's private-cluster code, a temporary
``var/`` and a free port) and the app under gunicorn as ``make run`` starts it, so stopping
the database disturbs no other test.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from buergergis.db import cluster
from buergergis.settings import Settings
from tests.server_support import gunicorn, own_cluster, primary_outage

#: Routes hit under load: pages, lists, search, OGC metadata, items, one item, tiles, services.
ROUTES = (
    "/",
    "/liste/holzverkauf",
    "/search?q=Hameln",
    "/ogc/collections",
    "/ogc/collections/holzverkauf/items?limit=5",
    "/ogc/collections/ortsteile/items?limit=2&f=json",
    "/tiles/ortsteile/12/2148/1343.mvt",
    "/tiles/holzverkauf.json",
    "/dienste",
    "/holzverkauf",
    "/feeds/holzverkauf.atom",
)
LAYERS = ("ortsteile", "holzverkauf", "buergeramt")


@dataclass
class Outcome:
    """Statuses seen per phase, and whether 503s carried ``Retry-After``."""

    statuses: dict[str, list[int]] = field(default_factory=dict)
    missing_retry_after: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def outage_settings(demo_root: Path) -> Iterator[Settings]:
    """A private cluster of its own, migrated and with three demo layers loaded."""
    with own_cluster("outage", demo_root, LAYERS) as settings:
        yield settings


@pytest.fixture(scope="module")
def server(
    outage_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The app under gunicorn (gthread as ``make run``, 2 workers × 4 threads); yields URL and log."""
    log = tmp_path_factory.mktemp("outage-log") / "server.log"
    env = {
        "BUERGERGIS_VAR_DIR": str(outage_settings.var),
        "BUERGERGIS_PG_PORT": str(outage_settings.pg_port),
        "BUERGERGIS_ROOT": str(outage_settings.root),
        "BUERGERGIS_SECRET_KEY": "outage-test",
    }
    with gunicorn(env, log=log) as url:
        yield url, log


def _status(url: str) -> tuple[int, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            response.read()
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, exc.headers.get("Retry-After")
    except OSError:
        return 0, None


def _load(url: str, phase: list[str], outcome: Outcome, stop: threading.Event, offset: int) -> None:
    """Request the routes round-robin until ``stop``; record statuses under the current phase."""
    i = offset
    while not stop.is_set():
        route = ROUTES[i % len(ROUTES)]
        now = phase[0]
        status, retry_after = _status(url + route)
        if phase[0] == now:  # a response that straddled a phase change is not counted
            outcome.statuses.setdefault(now, []).append(status)
            if status == 503 and not retry_after:
                outcome.missing_retry_after.append(route)
            if now == "down" and status != 503:
                outcome.statuses.setdefault("down-wrong", []).append(status)
                outcome.statuses.setdefault("down-wrong-routes", []).append(i % len(ROUTES))
        i += 1


def test_outage_under_load_is_503_and_logged_once(
    server: tuple[str, Path], outage_settings: Settings
) -> None:
    url, log = server
    for route in ROUTES:  # all routes work before the outage
        assert _status(url + route)[0] == 200, route
    phase = ["before"]
    outcome = Outcome()
    stop = threading.Event()
    workers = [
        threading.Thread(target=_load, args=(url, phase, outcome, stop, n)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    try:
        primary_outage(outage_settings, phase, lambda: _status(url + "/ogc/collections")[0] == 200)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        if cluster.status(outage_settings).running is False:
            cluster.start(outage_settings)

    every = [s for statuses in outcome.statuses.values() for s in statuses]
    assert 500 not in every, outcome.statuses
    assert outcome.statuses["before"] and set(outcome.statuses["before"]) == {200}
    down = outcome.statuses["down"]
    assert len(down) >= 20, "too little load during the outage"
    assert set(down) == {503}, {ROUTES[i] for i in outcome.statuses.get("down-wrong-routes", [])}
    assert not outcome.missing_retry_after
    assert set(outcome.statuses["after"]) == {200}  # automatic recovery

    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    gone = text.count("Datenbank nicht erreichbar")
    back = text.count("Datenbank wieder erreichbar")
    assert 1 <= gone <= 2, text[-3000:]  # once per worker process at most
    assert 1 <= back <= gone, text[-3000:]
