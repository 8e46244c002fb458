"""Tile archives a city can put on any static host or CDN: PMTiles v3 and MBTiles 1.3.

Tiles come from :class:`TileProvider` (so the cache is used and filled); empty tiles are left
out (a missing tile is an empty tile in both formats). MVT is stored gzip-compressed, as both
formats expect. The archive is written to a temporary file and renamed at the end, so a
failed export never leaves a half-written archive under the target name.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from buergergis.errors import InvalidParameter
from buergergis.tiles import metadata
from buergergis.tiles.cache import compress
from buergergis.tiles.provider import TileProvider
from buergergis.tiles.seed import TilePlan

_PMTILES_TYPES = {"mvt": TileType.MVT, "png": TileType.PNG, "webp": TileType.WEBP}
_MBTILES_FORMATS = {"mvt": "pbf", "png": "png", "webp": "webp"}


@dataclass
class ExportResult:
    """What went into the archive."""

    path: Path
    tiles: int = 0
    bytes: int = 0


def export(
    service: TileProvider,
    plan: TilePlan,
    target: Path,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write ``target`` (``.pmtiles`` or ``.mbtiles``) with every non-empty tile of the plan."""
    suffix = target.suffix.lower()
    if suffix not in {".pmtiles", ".mbtiles"}:
        raise InvalidParameter("Zieldatei muss auf .pmtiles oder .mbtiles enden.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        writer = _pmtiles if suffix == ".pmtiles" else _mbtiles
        result = writer(service, plan, partial, progress)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    result.path = target
    return result


def _tiles(service: TileProvider, plan: TilePlan, progress: Callable[[int], None] | None):
    """(tile, stored bytes) in PMTiles tile-id order, non-empty only, MVT gzip-compressed."""
    records = list(plan.records)
    for tile in sorted(plan.tiles(), key=lambda t: zxy_to_tileid(t.z, t.x, t.y)):
        got = service.get(records, plan.spec(tile))
        if progress:
            progress(1)
        if not got.data:
            continue
        data = got.data if got.gzipped or plan.fmt != "mvt" else compress(got.data)
        yield tile, data


def _pmtiles(
    service: TileProvider, plan: TilePlan, path: Path, progress: Callable[[int], None] | None
) -> ExportResult:
    result = ExportResult(path)
    with open(path, "wb") as fh:
        writer = Writer(fh)
        for tile, data in _tiles(service, plan, progress):
            writer.write_tile(zxy_to_tileid(tile.z, tile.x, tile.y), data)
            result.tiles += 1
            result.bytes += len(data)
        if not result.tiles:
            raise InvalidParameter("Im gewählten Bereich gibt es keine Kacheln mit Daten.")
        writer.finalize(_pmtiles_header(plan), _metadata(plan))
    return result


def _pmtiles_header(plan: TilePlan) -> dict[str, Any]:
    west, south, east, north = plan.bbox
    lon, lat, zoom = metadata.centre(plan.bbox, plan.minzoom, plan.maxzoom)
    return {
        "tile_type": _PMTILES_TYPES[plan.fmt],
        "tile_compression": Compression.GZIP if plan.fmt == "mvt" else Compression.NONE,
        "min_lon_e7": int(west * 1e7),
        "min_lat_e7": int(south * 1e7),
        "max_lon_e7": int(east * 1e7),
        "max_lat_e7": int(north * 1e7),
        "center_zoom": int(zoom),
        "center_lon_e7": int(lon * 1e7),
        "center_lat_e7": int(lat * 1e7),
    }


def _metadata(plan: TilePlan) -> dict[str, Any]:
    """TileJSON-like metadata (name, attribution, vector_layers) shared by both formats."""
    doc = metadata.tilejson(list(plan.records), "")
    keep = ("name", "description", "attribution", "vector_layers")
    result = {k: doc[k] for k in keep if k in doc}
    result.update({"minzoom": plan.minzoom, "maxzoom": plan.maxzoom, "bounds": list(plan.bbox)})
    result["version"] = str(max(r.version for r in plan.records))
    result["buergergis_layers"] = ",".join(f"{r.id}@{r.version}" for r in plan.records)
    return result


def _mbtiles(
    service: TileProvider, plan: TilePlan, path: Path, progress: Callable[[int], None] | None
) -> ExportResult:
    result = ExportResult(path)
    path.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
            " tile_data blob)"
        )
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        for tile, data in _tiles(service, plan, progress):
            tms_row = (1 << tile.z) - 1 - tile.y
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (tile.z, tile.x, tms_row, data))
            result.tiles += 1
            result.bytes += len(data)
        if not result.tiles:
            raise InvalidParameter("Im gewählten Bereich gibt es keine Kacheln mit Daten.")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", _mbtiles_metadata(plan).items())
    return result


def _mbtiles_metadata(plan: TilePlan) -> dict[str, str]:
    meta = _metadata(plan)
    lon, lat, zoom = metadata.centre(plan.bbox, plan.minzoom, plan.maxzoom)
    rows = {
        "name": meta["name"],
        "format": _MBTILES_FORMATS[plan.fmt],
        "bounds": ",".join(f"{v:.7f}" for v in plan.bbox),
        "center": f"{lon:.7f},{lat:.7f},{int(zoom)}",
        "minzoom": str(plan.minzoom),
        "maxzoom": str(plan.maxzoom),
        "attribution": meta.get("attribution", ""),
        "description": meta.get("description", ""),
        "type": "overlay",
        "version": meta["version"],
    }
    if plan.fmt == "mvt":
        rows["json"] = json.dumps({"vector_layers": meta["vector_layers"]}, ensure_ascii=False)
    return rows
