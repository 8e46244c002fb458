"""The versioned disk cache: hits come from disk, a reload is seen by the very next request in
every worker (never an old tile, never a 304 for an old ETag), gzip stored once, size bound."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis import create_app
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings, load_settings
from buergergis.tiles.cache import CachedTile, TileCache, layer_key
from buergergis.tiles.provider import TileProvider
from tests.tiles_support import (
    TileLayers,
    parcels_definition,
    tile_at,
    write_parcels,
)

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture()
def second_app(settings: Settings) -> Iterator[Flask]:
    """Another app on the same database and cache: stands in for another gunicorn worker."""
    app = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
        }
    )
    yield app
    app.extensions["buergergis"].engine.dispose()


def service_of(app: Flask) -> TileProvider:
    service: TileProvider = app.extensions["buergergis.tiles"]
    return service


def current_version(engine: Engine, layer_id: str) -> int:
    from buergergis.store.catalog import layer_versions

    with engine.connect() as conn:
        return layer_versions(conn)[layer_id]


def test_second_request_is_served_from_the_cache_file(
    app: Flask, client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    z, x, y = tile_at(15)
    url = f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt"
    first = client.get(url, headers=GZIP)
    key = layer_key([(tile_layers.parcels, current_version(engine, tile_layers.parcels))])
    path = service_of(app).cache.path(key, z, x, y, ".mvt.gz")
    stored = path.read_bytes()
    assert stored[:2] == b"\x1f\x8b" and stored == first.data, "stored once, gzip, sent as is"
    assert first.headers["Content-Encoding"] == "gzip"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.data == gzip.decompress(stored)
    marker = gzip.compress(b"")  # a valid, different tile: proves the next answer comes from disk
    path.write_bytes(marker)
    assert client.get(url, headers=GZIP).data == marker
    path.unlink()


def test_etag_gives_304_and_cache_control_is_the_setting(
    client: FlaskClient, settings: Settings, tile_layers: TileLayers
) -> None:
    z, x, y = tile_at(14)
    url = f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt"
    first = client.get(url)
    assert first.headers["Cache-Control"] == settings.tile_cache_control
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_cache_control_is_configurable(settings: Settings, tile_layers: TileLayers) -> None:
    app = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
            "tile_cache_control": "public, no-cache",
        }
    )
    z, x, y = tile_at(14)
    response = app.test_client().get(f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt")
    assert response.headers["Cache-Control"] == "public, no-cache"
    app.extensions["buergergis"].engine.dispose()


def test_reload_is_seen_by_the_very_next_request_in_every_worker(
    client: FlaskClient,
    second_app: Flask,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    z, x, y = tile_at(15)
    url = f"/tiles/tiles-reload/{z}/{x}/{y}.mvt"
    other = second_app.test_client()
    source = tmp_path / "reload.gpkg"
    seen_etags = []
    for round_ in range(3):
        size = 20.0 + 10 * round_
        write_parcels(source, size=size)
        load_layer(engine, settings, parcels_definition("tiles-reload", source))
        # no sleep, no retry: the next request after the commit must see the new version
        etags = set()
        for worker in (client, other, client):
            response = worker.get(url, headers={"If-None-Match": ", ".join(seen_etags) or '"x"'})
            assert response.status_code == 200, "an old ETag must never get a 304"
            features = mapbox_vector_tile.decode(response.data)["tiles-reload"]["features"]
            assert min(f["properties"]["flaeche"] for f in features) >= size**2, "new data"
            etags.add(response.headers["ETag"])
        assert len(etags) == 1 and not etags & set(seen_etags)
        seen_etags.extend(etags)


def test_layer_made_private_by_a_reload_loses_its_cached_tiles(
    client: FlaskClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    source = write_parcels(tmp_path / "hidden.gpkg")
    load_layer(engine, settings, parcels_definition("tiles-hidden", source))
    z, x, y = tile_at(15)
    url = f"/tiles/tiles-hidden/{z}/{x}/{y}.mvt"
    assert client.get(url).status_code == 200
    load_layer(engine, settings, parcels_definition("tiles-hidden", source, public=False))
    assert client.get(url).status_code == 404


def test_sweep_drops_superseded_versions_and_keeps_current(
    app: Flask, client: FlaskClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    source = write_parcels(tmp_path / "sweep.gpkg")
    load_layer(engine, settings, parcels_definition("tiles-sweep", source))
    z, x, y = tile_at(15)
    client.get(f"/tiles/tiles-sweep/{z}/{x}/{y}.mvt")
    old = service_of(app).cache.root / layer_key(
        [("tiles-sweep", current_version(engine, "tiles-sweep"))]
    )
    load_layer(engine, settings, parcels_definition("tiles-sweep", source))
    client.get(f"/tiles/tiles-sweep/{z}/{x}/{y}.mvt")
    new = service_of(app).cache.root / layer_key(
        [("tiles-sweep", current_version(engine, "tiles-sweep"))]
    )
    assert old.is_dir() and new.is_dir()
    service_of(app).sweep()
    assert not old.exists() and new.is_dir()


def test_cache_stays_below_its_bound_and_keeps_recently_used_tiles(tmp_path: Path) -> None:
    cache = TileCache(tmp_path / "tiles", max_bytes=10**9)
    for i in range(60):
        path = cache.path("a@1", 10, i, 0, ".png")
        cache.put(path, CachedTile(os.urandom(10_000), False))
        os.utime(path, (1e9 + i, 1e9 + i))  # written in order
    recent = cache.path("a@1", 10, 0, 0, ".png")
    os.utime(recent, (2e9, 2e9))  # the oldest tile was just used again
    cache.max_bytes = 200_000
    cache.sweep()
    assert cache.size() <= 200_000
    assert recent.exists()
    assert not cache.path("a@1", 10, 1, 0, ".png").exists(), "oldest go first"


def test_disabled_cache_writes_nothing_but_serves_tiles(
    engine: Engine, settings: Settings, tile_layers: TileLayers, tmp_path: Path
) -> None:
    disabled = load_settings(
        database_url=settings.database_url, var_dir=tmp_path, tile_cache_max_mb=0
    )
    service = TileProvider(engine, disabled)
    records, public = service.resolve([tile_layers.parcels])
    from buergergis.tiles.grid import TileAddress
    from buergergis.tiles.provider import TileSpec

    tile = service.get(records, TileSpec((tile_layers.parcels,), TileAddress(*tile_at(15)), "mvt"))
    assert public and tile.data and not tile.gzipped
    assert not (tmp_path / "cache").exists()


def _declining_app(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
    start_response("599 Flask", [("Content-Type", "text/plain")])
    return [b"flask"]


def test_fast_path_answers_hits_with_the_flask_headers(
    app: Flask, client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    from werkzeug.test import Client

    from buergergis.web.tiles_fast import CachedTiles

    service = service_of(app)
    fast = Client(
        CachedTiles(_declining_app, service, service.settings.tile_cache_control, app.url_map)
    )
    z, x, y = tile_at(13)
    url = f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt"
    key = layer_key([(tile_layers.parcels, current_version(engine, tile_layers.parcels))])
    service.cache.path(key, z, x, y, ".mvt.gz").unlink(missing_ok=True)
    assert fast.get(url).status_code == 599, "a miss goes on to Flask"
    by_flask = client.get(url, headers=GZIP)  # renders and stores
    by_fast = fast.get(url, headers=GZIP)
    assert by_fast.status_code == 200 and by_fast.data == by_flask.data
    for header in (
        "ETag",
        "Cache-Control",
        "Content-Type",
        "Content-Encoding",
        "Access-Control-Allow-Origin",
        "Access-Control-Expose-Headers",
    ):
        assert by_fast.headers[header] == by_flask.headers[header], header
    assert set(by_fast.vary) == set(by_flask.vary) - {"Cookie"}
    not_modified = fast.get(url, headers={"If-None-Match": by_flask.headers["ETag"]})
    assert (
        not_modified.status_code == 304 and not_modified.headers["ETag"] == by_flask.headers["ETag"]
    )
    assert fast.get(url + "?x=1").status_code == 599
    assert fast.get(f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.gif").status_code == 599


def test_fast_path_never_serves_private_layers(
    app: Flask, engine: Engine, tile_layers: TileLayers
) -> None:
    from werkzeug.test import Client

    from buergergis.tiles.cache import compress
    from buergergis.web.tiles_fast import CachedTiles

    service = service_of(app)
    z, x, y = tile_at(15)
    key = layer_key([(tile_layers.private, current_version(engine, tile_layers.private))])
    planted = service.cache.path(key, z, x, y, ".mvt.gz")
    service.cache.put(planted, CachedTile(compress(b"secret"), True))
    fast = Client(
        CachedTiles(_declining_app, service, service.settings.tile_cache_control, app.url_map)
    )
    try:
        assert fast.get(f"/tiles/{tile_layers.private}/{z}/{x}/{y}.mvt").status_code == 599
    finally:  # a public-looking file of a private layer must not stay for other tests
        shutil.rmtree(service.cache.root / key, ignore_errors=True)


def test_lost_database_connection_is_replaced_transparently(
    app: Flask, client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    from sqlalchemy import text

    z, x, y = tile_at(15)
    assert client.get(f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt").status_code == 200
    db = service_of(app).db
    pid = db._db.connection().info.backend_pid
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    response = client.get(f"/tiles/{tile_layers.parcels}/{z}/{x + 1}/{y}.mvt")
    assert response.status_code == 200
    assert db._db.connection().info.backend_pid != pid
