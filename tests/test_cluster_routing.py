"""Read routing to the replica (buergergis/db/replica.py) and the shared-state settings.

Fast tests without a standby: the routing rule, the read-your-writes cookie, the back-off
after a replica failure and the fallback of the per-thread connections. The whole topology
(nginx, two app instances, a real standby) is in ``tests/test_cluster_faults.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import Engine
from werkzeug.test import Client
from werkzeug.wrappers import Response

from buergergis import create_app
from buergergis.db.replica import (
    WROTE_COOKIE,
    ReplicaHealth,
    ReplicaRouting,
    may_read_replica,
    replica_allowed,
    replica_reads,
)
from buergergis.db.threadconn import ThreadConnections
from buergergis.errors import ClusterError
from buergergis.settings import Settings, load_settings
from buergergis.store.catalog import get_layer
from buergergis.tiles.provider import TileSpec
from tests.tiles_support import TileLayers, load_tile_layers, tile_covering_grid


@pytest.mark.parametrize(
    ("method", "path", "headers", "expected"),
    [
        ("GET", "/ogc/collections/a/items", {}, True),
        ("HEAD", "/tiles/a/1/0/0.mvt", {}, True),
        ("GET", "/tiles/a/1/0/0.mvt", {"Cookie": "other=1"}, True),
        ("POST", "/holzverkauf/anfrage", {}, False),
        ("PATCH", "/admin/api/layers/a", {}, False),
        ("GET", "/admin", {}, False),
        ("GET", "/admin/layers", {}, False),
        ("GET", "/ogc/collections/a/items", {"Authorization": "Bearer x"}, False),
        ("GET", "/ogc/collections/a/items", {"Cookie": "session=abc"}, False),
        ("GET", "/tiles/a/1/0/0.mvt", {"Cookie": f"x=1; {WROTE_COOKIE}=1"}, False),
    ],
)
def test_only_anonymous_reads_may_use_the_replica(
    method: str, path: str, headers: dict[str, str], expected: bool
) -> None:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    assert may_read_replica(environ) is expected


def _probe_app(seen: list[bool]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(replica_allowed())
        return Response("ok")(environ, start_response)

    return app


def test_routing_middleware_decides_per_request_and_marks_writers() -> None:
    seen: list[bool] = []
    client = Client(ReplicaRouting(_probe_app(seen), primary_after_write_s=120))
    read = client.get("/ogc/collections")
    assert WROTE_COOKIE not in read.headers.get("Set-Cookie", "")
    wrote = client.post("/holzverkauf/anfrage")
    cookie = wrote.headers["Set-Cookie"]
    assert cookie.startswith(f"{WROTE_COOKIE}=1") and "Max-Age=120" in cookie
    client.get("/ogc/collections")  # the client now sends the cookie back
    assert seen == [True, False, False]
    assert replica_allowed() is False  # outside a request: the primary


def test_replica_health_backs_off_then_retries() -> None:
    now = [100.0]
    health = ReplicaHealth(2.0, clock=lambda: now[0])
    assert health.usable()
    health.failed(OSError("connection refused"))
    assert not health.usable()
    now[0] += 1.9
    assert not health.usable()
    now[0] += 0.2
    assert health.usable()  # time for a new try
    health.ok()
    health.failed(OSError("again"))
    assert not health.usable()


def _replica_url(settings: Settings) -> str:
    """The same database with a marker parameter: a stand-in 'replica' the test can tell apart."""
    return psycopg.conninfo.make_conninfo(settings.libpq_url(), keepalives_idle=41)


def _where(conn: psycopg.Connection) -> str:
    marked = conn.info.get_parameters().get("keepalives_idle") == "41"
    return "replica" if marked else "primary"


def test_thread_connections_read_from_replica_and_fall_back(settings: Settings) -> None:
    conns = ThreadConnections(
        settings.libpq_url(),
        application_name="t",
        timeout_ms=5000,
        replica_url=_replica_url(settings),
    )
    try:
        assert conns.run(_where, "x") == "primary"  # outside a request
        with replica_reads(True):
            assert conns.run(_where, "x") == "replica"
        with replica_reads(False):
            assert conns.run(_where, "x") == "primary"
    finally:
        conns.close()
    down = ThreadConnections(
        settings.libpq_url(),
        application_name="t",
        timeout_ms=5000,
        replica_url="postgresql://nobody@127.0.0.1:1/none",
        replica_retry_s=60,
    )
    try:
        with replica_reads(True):
            assert down.run(_where, "x") == "primary"  # replica unreachable: primary answers
            assert not down._replica_health.usable()  # and is not asked again for a while
    finally:
        down.close()


def test_missing_version_table_on_the_replica_is_read_on_the_primary(settings: Settings) -> None:
    """A version the standby has not replayed yet: the read is repeated on the primary."""
    conns = ThreadConnections(
        settings.libpq_url(),
        application_name="t",
        timeout_ms=5000,
        replica_url=_replica_url(settings),
    )

    def work(conn: psycopg.Connection) -> str:
        if _where(conn) == "replica":
            conn.execute('SELECT 1 FROM layerdata."not_replayed_yet__v1"')
        return _where(conn)

    try:
        with replica_reads(True):
            assert conns.run(work, "x") == "primary"
            assert conns._replica_health.usable()  # lag is no outage
    finally:
        conns.close()


def test_several_hosts_need_a_configured_secret_key(tmp_path: Path, settings: Settings) -> None:
    config = {"database_url": settings.database_url, "var_dir": tmp_path, "secret_key": None}
    with pytest.raises(ClusterError, match="BUERGERGIS_SECRET_KEY"):
        create_app({**config, "shared_dir": tmp_path / "shared"})
    app = create_app({**config, "shared_dir": tmp_path / "shared", "secret_key": "k" * 32})
    assert app.config["SECRET_KEY"] == "k" * 32
    assert create_app(config).config["SECRET_KEY"]  # one host: generated under var/


def test_shared_dir_holds_uploads_rasters_and_tile_cache(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var", shared_dir=tmp_path / "nfs")
    assert settings.shared == (tmp_path / "nfs").resolve()
    assert load_settings(var_dir=tmp_path / "var").shared == (tmp_path / "var").resolve()
    from buergergis.admin.uploads import uploads_root

    assert uploads_root(settings).parent == settings.shared


@pytest.fixture(scope="module")
def tile_layers(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> TileLayers:
    return load_tile_layers(engine, settings, tmp_path_factory.mktemp("versioned"))


def test_versioned_tile_urls_are_immutable_and_private_tiles_unreachable(
    app: Flask, engine: Engine, settings: Settings, tile_layers: TileLayers
) -> None:
    """TileJSON names ``/tiles/v/<layer>@<version>/…``; the cached file sits exactly where
    nginx's ``try_files`` looks (``<cache>/<layer>@<version>/z/x/y.mvt.gz``, world-readable);
    an old version redirects to the current tile; private layers' tiles live under
    ``private/`` that no versioned URL reaches."""
    client = app.test_client()
    parcels = tile_layers.parcels
    doc = client.get(f"/tiles/{parcels}.json").get_json()
    template = doc["tiles"][0]
    with engine.connect() as conn:
        version = get_layer(conn, parcels).version  # type: ignore[union-attr]
    assert f"/tiles/v/{parcels}@{version}/" in template
    z, x, y = tile_covering_grid()
    url = template.replace("http://localhost", "").format(z=z, x=x, y=y)
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.data
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stored = settings.shared / "cache" / "tiles" / f"{parcels}@{version}" / str(z) / str(x)
    tile_file = stored / f"{y}.mvt.gz"
    assert tile_file.read_bytes() == first.data  # what nginx sends for a hit
    assert tile_file.stat().st_mode & 0o044 == 0o044
    hit = client.get(url, headers={"Accept-Encoding": "gzip"})  # make run: the fast path
    assert hit.data == first.data and hit.headers["Cache-Control"] == first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": hit.headers["ETag"]})
    assert again.status_code == 304
    old = client.get(url.replace(f"@{version}/", f"@{version - 1}/"))
    assert old.status_code == 302
    assert old.headers["Location"].endswith(f"/tiles/{parcels}/{z}/{x}/{y}.mvt")
    assert client.get(f"/tiles/v/{parcels}/{z}/{x}/{y}.mvt").status_code == 404
    private = tile_layers.private
    assert client.get(f"/tiles/{private}.json").status_code == 404
    with engine.connect() as conn:
        pversion = get_layer(conn, private, include_private=True).version  # type: ignore[union-attr]
    assert client.get(f"/tiles/v/{private}@{pversion}/{z}/{x}/{y}.mvt").status_code == 404
    from buergergis.tiles.provider import PRIVATE_DIR

    service = app.extensions["buergergis.tiles"]
    with engine.connect() as conn:
        record = get_layer(conn, private, include_private=True)
    assert record is not None
    spec = TileSpec.parse(private, z, x, f"{y}.mvt")
    assert service.get([record], spec).data  # rendered and cached for staff
    assert list((settings.shared / "cache" / "tiles" / PRIVATE_DIR).glob(f"{private}@*/**/*.gz"))
    assert not (settings.shared / "cache" / "tiles" / f"{private}@{pversion}").exists()


def test_statement_timeout_on_the_replica_is_a_timeout_not_an_outage(settings: Settings) -> None:
    from buergergis.errors import QueryTimeout

    conns = ThreadConnections(
        settings.libpq_url(),
        application_name="t",
        timeout_ms=100,
        replica_url=_replica_url(settings),
    )
    try:
        with replica_reads(True), pytest.raises(QueryTimeout):
            conns.run(lambda conn: conn.execute("SELECT pg_sleep(2)"), "zu lange")
        assert conns._replica_health.usable()
    finally:
        conns.close()
