"""The vector load path stays lean: no web, raster or map modules, and the fast scans are exact.

``buergergis import`` runs in a child process exactly as staff run it (the console script),
with ``-X importtime`` recording every module it imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import shapely
from sqlalchemy import Engine

from buergergis.admin.manage import delete_layer, purge_layer
from buergergis.cli import _command
from buergergis.ingest.batches import wkb_type_codes
from buergergis.settings import Settings
from tests.ingest_helpers import layer_state

#: Packages a vector import has no use for (the web app, rasters, maps, PDFs, WMS).
HEAVY = (
    "flask",
    "werkzeug",
    "rasterio",
    "rio_cogeo",
    "folium",
    "weasyprint",
    "mapproxy",
    "matplotlib",
    "buergergis.web",
    "buergergis.admin",
    "buergergis.maps",
    "buergergis.tiles",
    "buergergis.ows",
    "buergergis.ingest.raster",
)


def _imported(stderr: str) -> set[str]:
    """Module names from ``-X importtime`` lines (``import time: self | cumulative | name``)."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_vector_import_loads_no_web_raster_or_map_modules(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    layer_id = "lean-import-check"
    path = tmp_path / "drei.gpkg"
    boxes = [
        shapely.box(525_000 + 20 * i, 5_773_000, 525_010 + 20 * i, 5_773_010) for i in (0, 1, 2)
    ]
    gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=boxes, crs="EPSG:25832").to_file(path)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "BUERGERGIS_VAR_DIR": str(settings.var),
        "BUERGERGIS_ROOT": str(settings.root),
    }
    script = Path(sys.executable).with_name("buergergis")
    cmd = [sys.executable, "-X", "importtime", str(script), "import", str(path), "--id", layer_id]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "ist live" in proc.stdout  # printed and flushed before the fast exit
        assert layer_state(engine, layer_id) is not None
        assert layer_state(engine, layer_id)[1] == 3  # type: ignore[index]
        imported = _imported(proc.stderr)
        assert {"pyogrio", "buergergis.ingest.pipeline"} <= imported  # the record is real
        heavy = sorted(m for m in imported if any(m == h or m.startswith(h + ".") for h in HEAVY))
        assert heavy == []
    finally:
        if layer_state(engine, layer_id) is not None:
            delete_layer(settings, engine, layer_id, "test")
            purge_layer(settings, engine, layer_id, "test")


def test_wkb_type_codes_read_in_place_match_the_header_of_each_value() -> None:
    geoms = np.array(
        [
            shapely.Point(1, 2),
            shapely.Polygon([(0, 0), (1, 0), (1, 1)]),
            None,
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]),
            shapely.LineString([(0, 0, 1), (1, 1, 1)]),  # Z: ISO 1002, EWKB 0x80000002
        ],
        dtype=object,
    )
    values = [
        *shapely.to_wkb(geoms, byte_order=0, flavor="iso"),  # big endian, ISO Z code
        *shapely.to_wkb(geoms, byte_order=1, flavor="extended"),  # little endian, EWKB flag
        b"",
        bytes.fromhex("0108000000") + bytes(40),  # CircularString header
    ]
    column = pa.array(values, pa.binary()).slice(1)  # an offset into the buffers, too
    expected = [
        (int.from_bytes(v[1:5], "little" if v[0] == 1 else "big") & 0x0FFFFFFF) % 1000
        for v in values[1:]
        if v
    ]
    assert wkb_type_codes(column).tolist() == expected == [3, 6, 2, 1, 3, 6, 2, 8]


def test_fast_exit_only_for_the_load_commands() -> None:
    assert _command(["import", "x.gpkg", "--id", "x"]) == "import"
    assert _command(["-v", "load", "--all"]) == "load"
    assert _command(["db", "start"]) == "db"
    assert _command(["--help"]) is None
