"""``buergergis tiles seed|export|sweep`` through the real CLI; archives read back by the
pmtiles reader, SQLite and GDAL (PMTiles and MBTiles drivers)."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import mapbox_vector_tile
import pyogrio
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType
from sqlalchemy import Engine

from buergergis.settings import Settings
from buergergis.store.catalog import layer_versions
from buergergis.tiles.cache import layer_key
from buergergis.tiles.grid import count_tiles, parse_bbox, tiles_in
from tests.ingest_helpers import run_cli
from tests.tiles_support import TileLayers, centre_lonlat, tile_at


def small_bbox() -> str:
    west, south = centre_lonlat(-300, -300)
    east, north = centre_lonlat(300, 300)
    return f"{west},{south},{east},{north}"


def test_seed_fills_the_cache_for_every_tile_of_the_range(
    app: Flask, engine: Engine, settings: Settings, tile_layers: TileLayers
) -> None:
    result = run_cli(
        settings, "tiles", "seed", tile_layers.parcels, "--zoom", "12-15", "--bbox", small_bbox()
    )
    assert result.code == 0, result.output
    with engine.connect() as conn:
        version = layer_versions(conn)[tile_layers.parcels]
    root = settings.var / "cache" / "tiles" / layer_key([(tile_layers.parcels, version)])
    bbox = parse_bbox(small_bbox())
    expected = [root / str(t.z) / str(t.x) / f"{t.y}.mvt.gz" for t in tiles_in(bbox, 12, 15)]
    assert len(expected) == count_tiles(bbox, 12, 15) > 4
    assert all(path.is_file() for path in expected)
    assert f"{len(expected)} Kacheln" in result.output
    z, x, y = tile_at(15)
    served = app.test_client().get(
        f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"}
    )
    assert served.data == (root / str(z) / str(x) / f"{y}.mvt.gz").read_bytes()


@pytest.mark.parametrize(
    "args",
    [
        ("tiles", "seed", "tiles-parcels", "--zoom", "16-12"),
        ("tiles", "seed", "tiles-parcels", "--zoom", "30"),
        ("tiles", "seed", "tiles-parcels", "--bbox", "1,2,3"),
        ("tiles", "seed", "tiles-parcels", "--bbox", "100,50,101,51"),
        ("tiles", "seed", "nicht-da"),
        ("tiles", "seed", "tiles-parcels", "--format", "png"),
        ("tiles", "export", "tiles-parcels", "out.zip"),
    ],
)
def test_seed_and_export_refuse_bad_arguments(
    settings: Settings, tile_layers: TileLayers, tmp_path: Path, args: tuple[str, ...]
) -> None:
    args = tuple(str(tmp_path / a) if a.endswith(".zip") else a for a in args)
    result = run_cli(settings, *args)
    assert result.code != 0 and "Traceback" not in result.output and len(result.output) > 10


def test_export_pmtiles_is_readable_by_pmtiles_and_gdal(
    client: FlaskClient, settings: Settings, tile_layers: TileLayers, tmp_path: Path
) -> None:
    target = tmp_path / "parcels.pmtiles"
    result = run_cli(
        settings, "tiles", "export", tile_layers.parcels, str(target), "--zoom", "10-15"
    )
    assert result.code == 0, result.output
    with open(target, "rb") as fh:
        reader = Reader(MmapSource(fh))
        header, meta = reader.header(), reader.metadata()
        z, x, y = tile_at(15)
        stored = reader.get(z, x, y)
    assert header["tile_type"] == TileType.MVT and header["tile_compression"] == Compression.GZIP
    assert (header["min_zoom"], header["max_zoom"]) == (10, 15)
    assert meta["vector_layers"][0]["id"] == tile_layers.parcels
    served = client.get(f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt").data
    assert gzip.decompress(stored) == served
    frame = pyogrio.read_dataframe(target, layer=tile_layers.parcels)
    assert len(frame) > 100 and {"name", "nummer"} <= set(frame.columns)


def test_export_mbtiles_has_the_spec_layout(
    client: FlaskClient, settings: Settings, tile_layers: TileLayers, tmp_path: Path
) -> None:
    target = tmp_path / "parcels.mbtiles"
    result = run_cli(
        settings, "tiles", "export", tile_layers.parcels, str(target), "--zoom", "12-14"
    )
    assert result.code == 0, result.output
    with sqlite3.connect(target) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        z, x, y = tile_at(14)
        (blob,) = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
    assert meta["format"] == "pbf" and meta["minzoom"] == "12" and '"vector_layers"' in meta["json"]
    decoded = mapbox_vector_tile.decode(gzip.decompress(blob))
    assert decoded == mapbox_vector_tile.decode(
        client.get(f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt").data
    )
    assert pyogrio.read_info(target, layer=tile_layers.parcels)["features"] > 0


def test_export_raster_pmtiles(settings: Settings, tile_layers: TileLayers, tmp_path: Path) -> None:
    target = tmp_path / "ramp.pmtiles"
    result = run_cli(settings, "tiles", "export", tile_layers.ramp, str(target), "--zoom", "14-16")
    assert result.code == 0, result.output
    with open(target, "rb") as fh:
        header = Reader(MmapSource(fh)).header()
    assert header["tile_type"] == TileType.PNG and header["tile_compression"] == Compression.NONE


def test_sweep_command_reports(settings: Settings, tile_layers: TileLayers) -> None:
    result = run_cli(settings, "tiles", "sweep")
    assert result.code == 0 and "MB" in result.output
