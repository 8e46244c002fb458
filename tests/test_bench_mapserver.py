"""The MapServer peer of ``make bench`` starts and answers the benchmark's three requests —
MVT tile, PNG tile, OGC API items — with the data and attributes ours answer with."""

from __future__ import annotations

import json
from pathlib import Path

import mapbox_vector_tile
import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from bench.mapserver_peer import SESSION, getmap_path, items_path, mapserver_peer
from bench.tiles_tools import WORKERS, fetch
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from buergergis.tiles import vector
from buergergis.tiles.grid import TileAddress
from tests.tiles_support import TileLayers, centre_lonlat, tile_at


def test_mapserver_peer_answers_tiles_and_items_like_ours(
    engine: Engine, settings: Settings, tile_layers: TileLayers, client: FlaskClient
) -> None:
    tile = TileAddress(*tile_at(16))
    with engine.connect() as conn:
        parcels = get_layer(conn, tile_layers.parcels)
    assert parcels is not None
    with psycopg.connect(settings.libpq_url()) as conn:
        ours = mapbox_vector_tile.decode(
            vector.render_mvt(conn, vector.build_query([parcels], tile))
        )
    with mapserver_peer(settings) as base:
        theirs = mapbox_vector_tile.decode(
            fetch(base + getmap_path(tile_layers.parcels, tile, "mvt"))
        )
        png = fetch(base + getmap_path(tile_layers.ramp, TileAddress(*tile_at(14)), "image/png"))
        items = json.loads(fetch(base + items_path(tile_layers.parcels, "limit=7")))
        west, south = centre_lonlat(-230, -230)
        east, north = centre_lonlat(230, 230)
        bbox = f"bbox={west:.6f},{south:.6f},{east:.6f},{north:.6f}&limit=100"
        in_bbox = json.loads(fetch(base + items_path(tile_layers.parcels, bbox)))
        # WORKERS mapserv processes, whose PostgreSQL sessions get our settings (PGOPTIONS)
        ours_env = [e for e in _mapserv_environments() if f"PGOPTIONS={SESSION}" in e]
        assert len(ours_env) >= WORKERS
    layer = theirs[tile_layers.parcels]
    assert layer["extent"] == 4096
    ids = {f["id"] for f in layer["features"]}
    assert ids and ids <= {f["id"] for f in ours[tile_layers.parcels]["features"]}
    names = {f["properties"]["name"] for f in layer["features"]}
    assert names <= {f["properties"]["name"] for f in ours[tile_layers.parcels]["features"]}
    assert "geheim" not in layer["features"][0]["properties"]
    assert "mvt-clearance" not in layer["features"][0]["properties"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert items["numberMatched"] == 100 and len(items["features"]) == 7
    ours_in_bbox = client.get(f"/ogc/collections/{tile_layers.parcels}/items?{bbox}").get_json()
    assert 0 < in_bbox["numberMatched"] == ours_in_bbox["numberMatched"] < 100
    assert sorted(f["properties"]["fid"] for f in in_bbox["features"]) == sorted(
        f["id"] for f in ours_in_bbox["features"]
    )


def _mapserv_environments() -> list[str]:
    """The environments of the running ``mapserv`` processes of this user."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc / "cmdline").read_bytes().split(b"\0")[0].endswith(b"mapserv"):
                found.append((proc / "environ").read_bytes().replace(b"\0", b"\n").decode())
        except OSError:  # not ours, or gone meanwhile
            continue
    return found


def test_mapserver_peer_is_stopped_afterwards(settings: Settings, tile_layers: TileLayers) -> None:
    with mapserver_peer(settings) as base:
        assert fetch(base + "/ping") == b"ok"
    with pytest.raises(OSError):
        fetch(base + "/ping")
