"""MapServer 8 as a peer of the tile and feature benchmarks (``bench.tiles``, ``bench.features``).

One ``mapserv`` (FastCGI, ``WORKERS`` processes via spawn-fcgi, behind nginx — the helper of
``bench.wms``) on the very mapfile BürgerGIS renders its WMS from, with three additions:
MapServer's OGC API switched on (``oga_enable_request``, feature id ``gid``, no query
tolerance around the bbox), and an MVT output
format with our tile's extent and buffer (4096 units, 64 units = 4 pixels of 256). Its
PostgreSQL connections get BürgerGIS's session settings through ``PGOPTIONS``: no parallel
workers, no JIT (:data:`SESSION`).

Requests, the same as ours: OGC API items (``/mapserv/bench/ogcapi/collections/{id}/items``),
the z14 vector tile as WMS GetMap ``FORMAT=mvt`` over the tile's EPSG:3857 box, the z14 PNG as
WMS GetMap 256×256 of the COG layer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import morecantile

from bench.tiles_tools import free_port
from buergergis.db.engine import make_engine
from buergergis.ows.engine import load_mapscript
from buergergis.settings import Settings
from buergergis.tiles.grid import BUFFER, EXTENT, TileAddress

#: The session settings of BürgerGIS's tile and feature connections (db/threadconn.py).
SESSION = "-c jit=off -c max_parallel_workers_per_gather=0"
MAP_KEY = "bench"
TILE_PX = 256


def prepare_mapfile(settings: Settings, path: Path) -> Path:
    """BürgerGIS's mapfile plus OGC API and an MVT format like our tiles (see module doc)."""
    from bench.wms import write_mapfile  # bench.wms imports bench.tiles, which imports us

    engine = make_engine(settings, application_name="buergergis-bench-mapfile")
    try:
        write_mapfile(settings, engine, path)
    finally:
        engine.dispose()
    ms = load_mapscript()
    map_obj = ms.mapObj(str(path))
    map_obj.web.metadata.set("oga_enable_request", "*")
    map_obj.web.metadata.set("oga_onlineresource", f"http://127.0.0.1/mapserv/{MAP_KEY}/ogcapi")
    for i in range(map_obj.numlayers):
        layer = map_obj.getLayer(i)
        layer.metadata.set("oga_enable_request", "*")
        layer.metadata.set("gml_featureid", "gid")
        # GetFeatureInfo's 6-pixel tolerance would also widen the OGC API bbox (by ~1 km at
        # the map's default size): items must answer exactly the bbox asked for
        layer.tolerance = 0
    mvt = ms.outputFormatObj("MVT", "mvt")
    mvt.mimetype = "application/vnd.mapbox-vector-tile"
    mvt.extension = "pbf"
    mvt.setOption("EXTENT", str(EXTENT))
    mvt.setOption("EDGE_BUFFER", str(BUFFER * TILE_PX // EXTENT))  # pixels of 256
    map_obj.appendOutputFormat(mvt)
    map_obj.save(str(path))
    return path


@contextlib.contextmanager
def mapserver_peer(settings: Settings) -> Iterator[str]:
    """MapServer (FastCGI behind nginx) on the benchmark database; yields its base URL."""
    from bench.wms import mapserver

    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        mapfile = prepare_mapfile(settings, Path(tmp) / "bench.map")
        port = free_port()
        with mapserver(mapfile, port, pgoptions=SESSION):
            yield f"http://127.0.0.1:{port}"


def _bbox_3857(tile: TileAddress) -> str:
    b = morecantile.tms.get("WebMercatorQuad").xy_bounds(morecantile.Tile(tile.x, tile.y, tile.z))
    return f"{b.left!r},{b.bottom!r},{b.right!r},{b.top!r}"


def getmap_path(layer_id: str, tile: TileAddress, fmt: str) -> str:
    """WMS GetMap of exactly one web-mercator tile (256×256), ``fmt`` ``mvt`` or ``image/png``."""
    return (
        f"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={layer_id}&STYLES="
        f"&CRS=EPSG:3857&BBOX={_bbox_3857(tile)}&WIDTH={TILE_PX}&HEIGHT={TILE_PX}&FORMAT={fmt}"
    )


def items_path(layer_id: str, query: str) -> str:
    """MapServer's OGC API items of ``layer_id`` with ``query`` (GeoJSON)."""
    return f"/mapserv/{MAP_KEY}/ogcapi/collections/{layer_id}/items?f=json&{query}"
