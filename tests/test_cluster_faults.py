"""``make cluster`` under faults: nginx → two app instances → primary + hot standby.

The topology is started by the same script as ``make cluster`` (scripts/cluster.sh) with a
private cluster of its own under ``var/test-cluster-*`` (the cluster's OS user cannot reach
/tmp/pytest-of-root), free ports and three demo layers, so no other test is disturbed.

Short by default (``make test``: each kind of fault once, a few seconds of load each);
``BUERGERGIS_CLUSTER_LOAD_S`` lengthens every load phase for a thorough run. Select or skip
the module with ``-m cluster`` / ``-m "not cluster"``.
"""

from __future__ import annotations

import gzip
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mapbox_vector_tile
import psycopg
import pytest
import requests

from buergergis.db import cluster, standby
from buergergis.db.engine import make_engine
from buergergis.db.migrate import upgrade
from buergergis.settings import PROJECT_ROOT, Settings, load_settings
from buergergis.tiles.provider import TileSpec
from buergergis.web.caching import make_etag
from tests.server_support import free_port, primary_outage

# One worker runs the whole module (make test: --dist loadgroup), so one topology is started.
pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.xdist_group("cluster")]

LAYERS = ("ortsteile", "holzverkauf", "buergeramt")
TILE = ("ortsteile", 12, 2154, 1350)
#: Mixed anonymous GETs for wrk: features, tiles, TileJSON, pages, search.
WRK_PATHS = (
    "/ogc/collections/holzverkauf/items?limit=5",
    "/tiles/ortsteile/12/2154/1350.mvt",
    "/ogc/collections/ortsteile/items?limit=2&f=json",
    "/tiles/holzverkauf.json",
    "/ogc/collections",
    "/liste/holzverkauf",
    "/search?q=Hameln",
    "/",
)
LOAD_S = float(os.environ.get("BUERGERGIS_CLUSTER_LOAD_S", "4"))


@dataclass
class Topology:
    """What the fixture started: settings, the nginx URL, app ports and the script's env."""

    settings: Settings
    url: str
    app_ports: tuple[int, int]
    replica_port: int
    env: dict[str, str]

    @property
    def standby(self) -> standby.Standby:
        return standby.Standby.of(self.settings, self.replica_port)

    def app_pid(self, port: int) -> int:
        return int((self.settings.var / "cluster" / f"app-{port}.pid").read_text())

    def script(self, command: str) -> None:
        done = subprocess.run(
            [str(PROJECT_ROOT / "scripts" / "cluster.sh"), command],
            env=self.env, timeout=240, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, f"cluster.sh {command}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def topology(demo_root: Path) -> Iterator[Topology]:
    """Primary with demo layers, standby, two app instances and nginx (scripts/cluster.sh)."""
    from buergergis.catalog.parse import load_definitions
    from buergergis.ingest.pipeline import load_layer

    var = PROJECT_ROOT / "var" / f"test-cluster-{secrets.token_hex(4)}"
    var.mkdir(parents=True)
    pg_port = free_port()
    settings = load_settings(var_dir=var, pg_port=pg_port, root=demo_root, secret_key="c" * 32)
    app_ports = (free_port(), free_port())
    nginx_port = free_port()
    replica_port = free_port()  # not the primary's + 1, which another test may hold
    env = {
        **os.environ,
        "BUERGERGIS_VAR_DIR": str(var),
        "BUERGERGIS_PG_PORT": str(pg_port),
        "BUERGERGIS_ROOT": str(demo_root),
        "BUERGERGIS_REPLICA_RETRY_S": "1",
        "CLUSTER_PORT": str(nginx_port),
        "CLUSTER_APP_PORTS": " ".join(map(str, app_ports)),
        "CLUSTER_REPLICA_PORT": str(replica_port),
        "WORKERS": "1",
        "GRACEFUL_TIMEOUT": "2",
    }
    for name in ("DATABASE_URL", "BUERGERGIS_DATABASE_URL", "BUERGERGIS_SECRET_KEY"):
        env.pop(name, None)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    top = Topology(settings, f"http://127.0.0.1:{nginx_port}", app_ports, replica_port, env)
    try:
        cluster.start(settings)
        upgrade(settings)
        engine = make_engine(settings)
        for definition in load_definitions(settings.layers_path, settings.root):
            if definition.id in LAYERS:
                load_layer(engine, settings, definition)
        engine.dispose()
        top.script("start")
        yield top
    finally:
        try:
            top.script("stop")
        finally:
            if cluster.status(settings).running:
                cluster.stop(settings)
            shutil.rmtree(var, ignore_errors=True)


# --- helpers ---------------------------------------------------------------------------------


def _replica_backends(top: Topology) -> int:
    """Connections of the app's hot paths on the standby."""
    with psycopg.connect(top.standby.url(top.settings), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name IN "
            "('buergergis-features', 'buergergis-tiles')"
        ).fetchone()
    return int(row[0]) if row else 0


def _warm(top: Topology, rounds: int = 3) -> None:
    for _ in range(rounds):
        for path in WRK_PATHS[:3]:
            assert requests.get(top.url + path, timeout=20).status_code == 200, path


@dataclass(frozen=True)
class WrkResult:
    requests: int
    failed: int  # non-2xx/3xx responses
    socket_errors: int
    text: str


def _wrk_script(directory: Path) -> Path:
    paths = ", ".join(f'"{p}"' for p in WRK_PATHS)
    script = directory / "mixed.lua"
    script.write_text(
        f"local paths = {{{paths}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    return script


def _wrk(top: Topology, seconds: float, script: Path) -> subprocess.Popen[str]:
    """Bounded load: 2 threads, 6 connections, ``seconds`` long, mixed anonymous GETs."""
    wrk = shutil.which("wrk")
    assert wrk, "wrk fehlt (scripts/system-deps.sh)"
    argv = [wrk, "-t2", "-c6", f"-d{max(1, round(seconds))}s", "--timeout", "20s"]
    return subprocess.Popen([*argv, "-s", str(script), top.url], stdout=subprocess.PIPE, text=True)


def _wrk_result(proc: subprocess.Popen[str]) -> WrkResult:
    out, _ = proc.communicate(timeout=120)
    done = re.search(r"(\d+) requests in", out)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        int(done.group(1)) if done else 0,
        int(failed.group(1)) if failed else 0,
        sum(int(n) for n in errors.groups()) if errors else 0,
        out,
    )


# --- the faults ------------------------------------------------------------------------------


def test_anonymous_reads_use_the_replica_and_survive_its_stop(
    topology: Topology, tmp_path: Path
) -> None:
    _warm(topology)
    assert _replica_backends(topology) > 0  # features and tiles are read on the standby
    load = _wrk(topology, LOAD_S + 2, _wrk_script(tmp_path))
    time.sleep(1.5)
    assert standby.stop(topology.settings, topology.standby)
    result = _wrk_result(load)
    assert result.requests > 50, result.text
    assert (result.failed, result.socket_errors) == (0, 0), result.text

    standby.start(topology.settings, topology.standby)  # back: reads return to it
    deadline = time.monotonic() + 20
    while _replica_backends(topology) == 0:
        assert time.monotonic() < deadline, "reads did not return to the replica"
        _warm(topology, rounds=1)
        time.sleep(0.3)


def _tile(top: Topology) -> tuple[str, dict[str, dict[str, object]]]:
    """The ETag and the features (by ``ot_nr``) of the test tile, fetched anonymously."""
    layer, z, x, y = TILE
    response = requests.get(f"{top.url}/tiles/{layer}/{z}/{x}/{y}.mvt", timeout=20)
    assert response.status_code == 200
    return response.headers["ETag"], _features(response.content)


def _features(data: bytes) -> dict[str, dict[str, object]]:
    decoded = mapbox_vector_tile.decode(data)
    return {
        str(f["properties"]["ot_nr"]): f["properties"] for f in decoded["ortsteile"]["features"]
    }


def _version_of(etag: str, versions: list[int]) -> int:
    layer, z, x, y = TILE
    spec = TileSpec.parse(layer, z, x, f"{y}.mvt")
    tag = etag.removeprefix("W/").strip('"')
    found = [v for v in versions if make_etag([(layer, v)], spec) == tag]
    assert len(found) == 1, f"ETag {etag} names none of the versions {versions}"
    return found[0]


def test_nginx_serves_cached_versioned_tiles_itself(topology: Topology) -> None:
    """TileJSON's versioned URL: the first request renders (app), the next is a file from
    the tile cache that nginx sends without asking any app instance."""
    layer, z, x, y = "ortsteile", 13, 4309, 2701  # a tile no other test asks for
    tilejson = requests.get(f"{topology.url}/tiles/{layer}.json", timeout=20).json()
    url = tilejson["tiles"][0].format(z=z, x=x, y=y)
    assert url.startswith(f"{topology.url}/tiles/v/{layer}@")
    first = requests.get(url, timeout=20)
    second = requests.get(url, timeout=20)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and _features(second.content)  # decoded by requests
    assert second.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    path = url.removeprefix(topology.url)
    log = (topology.settings.var / "cluster" / "nginx" / "access.log").read_text()
    upstreams = [line.split("upstream=")[1].split()[0] for line in log.splitlines() if path in line]
    assert upstreams[-2].startswith("127.0.0.1:") and upstreams[-1] == "-", upstreams


def test_never_stale_while_layers_are_replaced_under_replica_lag(topology: Topology) -> None:
    """With 1.5 s replica lag and a new version every 0.4 s: every tile's ETag names the
    version whose data it carries, and every cached tile file holds its key's version."""
    from buergergis.store.catalog import get_layer
    from buergergis.store.services.edits import edit_feature

    settings = topology.settings
    _etag, features = _tile(topology)
    fid = sorted(features)[0]
    engine = make_engine(settings)
    with engine.connect() as conn:
        record = get_layer(conn, "ortsteile")
    assert record is not None
    value_of = {record.version: features[fid]["einwohner"]}
    standby.set_apply_delay(settings, topology.standby, 1500)
    seen: list[tuple[str, object]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            etag, feats = _tile(topology)
            seen.append((etag, feats[fid]["einwohner"]))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for n in range(1, 8):
            with engine.begin() as conn:
                result = edit_feature(
                    conn, "ortsteile", fid, {"einwohner": 900_000 + n}, actor="test", keep=20
                )
            value_of[result.version] = 900_000 + n
            time.sleep(0.4)
        time.sleep(2.0)  # the replica catches up; readers see the newest version
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
        standby.set_apply_delay(settings, topology.standby, 0)
        engine.dispose()

    versions = sorted(value_of)
    assert len(seen) > 20
    served = {_version_of(etag, versions) for etag, _ in seen}
    for etag, value in seen:
        assert value == value_of[_version_of(etag, versions)], (etag, value, value_of)
    assert len(served) >= 2 and versions[-1] in served  # the lag was seen, then caught up
    cached = list((settings.shared / "cache" / "tiles").glob("ortsteile@*/12/2154/1350.mvt.gz"))
    assert cached
    for path in cached:
        version = int(path.parts[-4].split("@")[1])
        tile = _features(gzip.decompress(path.read_bytes()))
        assert tile[fid]["einwohner"] == value_of[version], path


def test_primary_outage_is_503_with_retry_after_and_recovers(topology: Topology) -> None:
    statuses: dict[str, list[int]] = {}
    missing_retry_after: list[str] = []
    phase = ["before"]
    stop = threading.Event()

    def load(offset: int) -> None:
        i = offset
        while not stop.is_set():
            path = WRK_PATHS[i % len(WRK_PATHS)]
            now = phase[0]
            try:
                response = requests.get(topology.url + path, timeout=20)
                status = response.status_code
            except requests.RequestException:
                status = 0
            if phase[0] == now:
                statuses.setdefault(now, []).append(status)
                if status == 503 and not response.headers.get("Retry-After"):
                    missing_retry_after.append(path)
            i += 1

    workers = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    try:
        primary_outage(
            topology.settings, phase,
            lambda: requests.get(topology.url + "/ogc/collections", timeout=20).ok,
            down_s=max(2.0, LOAD_S - 1),
        )  # fmt: skip
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        if not cluster.status(topology.settings).running:
            cluster.start(topology.settings)

    assert set(statuses["before"]) == {200}
    down = statuses["down"]
    assert len(down) >= 10 and 503 in down, statuses  # pages need the primary
    assert set(down) <= {200, 503}, statuses  # 200: anonymous reads the standby still serves
    assert not missing_retry_after
    assert set(statuses["after"]) == {200}, statuses  # nothing was restarted


def _upstreams(top: Topology, marker: str) -> set[str]:
    """The app instances nginx sent the requests whose line contains ``marker`` to."""
    log = (top.settings.var / "cluster" / "nginx" / "access.log").read_text()
    return {
        m.group(1).split(",")[-1].strip()
        for line in log.splitlines()
        if marker in line and (m := re.search(r"upstream=(\S+(?:, \S+)*) upstream_status", line))
    }


def test_staff_journey_through_nginx_spread_over_both_instances(topology: Topology) -> None:
    """Log in through nginx, upload, check, publish, replace: steps land on both instances."""
    from buergergis.admin import auth
    from tests.admin_support import PASSWORD, geojson_bytes, point

    engine = make_engine(topology.settings)
    name = f"cl-editor-{secrets.token_hex(3)}"
    auth.add_account(engine, name, PASSWORD, "editor", actor="tests")
    bearer = {"Authorization": f"Bearer {auth.create_api_token(engine, name, actor='tests')}"}
    engine.dispose()
    url = topology.url
    browser = requests.Session()
    page = browser.get(url + "/admin/login", timeout=20).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, page[:500]
    login = browser.post(
        url + "/admin/login",
        data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=20,
        allow_redirects=False,
    )
    assert login.status_code in (302, 303), login.text[:500]
    for _ in range(4):  # the signed-in session holds on every instance
        home = browser.get(url + "/admin/", timeout=20)
        assert home.status_code == 200 and name in home.text

    layer = f"cl_{secrets.token_hex(3)}"
    before = [point(9.35 + i / 100, 52.1, name=f"Punkt {i}") for i in range(3)]
    after = [point(9.36 + i / 100, 52.11, name=f"Ort {i}") for i in range(4)]

    def stage(features: list[dict[str, object]]) -> str:
        files = {"file": ("punkte.geojson", geojson_bytes(features), "application/geo+json")}
        response = requests.post(
            url + "/admin/api/uploads", headers=bearer, files=files, timeout=60
        )
        assert response.status_code == 201, response.text[:500]
        upload_id: str = response.json()["id"]
        for _ in range(2):  # the staged files are seen by whichever instance answers
            check = requests.get(
                f"{url}/admin/api/uploads/{upload_id}/preview", headers=bearer, timeout=60
            )
            assert check.status_code == 200, check.text[:500]
        return upload_id

    first = stage(before)
    published = requests.post(
        f"{url}/admin/api/uploads/{first}/publish",
        headers=bearer, json={"id": layer, "title": "Cluster-Test"}, timeout=120,
    )  # fmt: skip
    assert published.status_code == 201, published.text[:500]
    second = stage(after)
    replaced = requests.post(
        f"{url}/admin/api/uploads/{second}/replace",
        headers=bearer, json={"layer": layer}, timeout=120,
    )  # fmt: skip
    assert replaced.status_code in (200, 201), replaced.text[:500]
    items = requests.get(f"{url}/ogc/collections/{layer}/items?f=json", timeout=20).json()
    assert sorted(f["properties"]["name"] for f in items["features"]) == [
        f"Ort {i}" for i in range(4)
    ]

    expected = {f"127.0.0.1:{port}" for port in topology.app_ports}
    assert _upstreams(topology, "/admin/") == expected
    assert _upstreams(topology, "/admin/api/uploads") == expected


# Last in the module on purpose: it leaves one instance dead (the fixture stops the rest).
def test_app_instance_killed_under_load_loses_no_request(
    topology: Topology, tmp_path: Path
) -> None:
    _warm(topology)
    victim = topology.app_ports[0]
    load = _wrk(topology, LOAD_S + 1, _wrk_script(tmp_path))
    time.sleep(1.0)
    os.killpg(os.getpgid(topology.app_pid(victim)), signal.SIGKILL)  # master and workers
    result = _wrk_result(load)
    assert result.requests > 50, result.text
    assert (result.failed, result.socket_errors) == (0, 0), result.text
    with pytest.raises(requests.ConnectionError):  # it is really gone (last test: no restart)
        requests.get(f"http://127.0.0.1:{victim}/healthz", timeout=5)
