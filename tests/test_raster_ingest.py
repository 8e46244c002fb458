"""Raster layers: checked, converted to a Cloud-Optimized GeoTIFF, bounds registered."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate
from sqlalchemy import Engine, text

from buergergis.settings import Settings
from tests.ingest_helpers import layer_state, run_cli

RASTERS = [
    "RGB.byte.tif",
    "cogeo.tif",
    "rotated.tif",
    "corrupt.tif",
    "float_nan.tif",
    "all-nodata.tif",
    "goes.tif",
    "test_esri_wkt.tif",
    "N10W110.hgt.zip",
    "RGB.byte.gcp.vrt",
    "RGB.byte.rpc.vrt",
]


def _catalog(engine: Engine, layer_id: str) -> tuple[str, list[float], dict]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT raster_path, bbox, report FROM buergergis.layer WHERE id = :i"),
            {"i": layer_id},
        ).one()
    return row.raster_path, row.bbox, row.report


def test_geoid_becomes_a_valid_cog_with_bounds(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    result = run_cli(
        settings, "import", str(shared_data / "official/de_bkg_gcg2016.tif"), "--id", "geoid"
    )
    assert result.code == 0, result.output
    path, bbox, report = _catalog(engine, "geoid")
    valid, errors, _ = cog_validate(path)
    assert valid, errors
    assert Path(path).is_relative_to(settings.var / "raster" / "geoid")
    assert (
        3.0 < bbox[0] < 6.0
        and 14.0 < bbox[2] < 16.0
        and 47.0 < bbox[1] < 48.0
        and 54.5 < bbox[3] < 56.5
    ), bbox
    assert 30 < report["raster"]["stats"]["min"] < report["raster"]["stats"]["max"] < 60
    with rasterio.open(path) as cog:
        assert cog.overviews(1), "COG braucht Übersichten"
        assert cog.nodata == -32768


@pytest.mark.parametrize("name", RASTERS)
def test_edge_rasters_load_or_are_refused(
    name: str, shared_data: Path, settings: Settings, engine: Engine
) -> None:
    layer_id = "r-" + name.lower().replace(".", "-").replace("_", "-")[:30].strip("-")
    before = layer_state(engine, layer_id)
    result = run_cli(settings, "import", str(shared_data / "edge/raster" / name), "--id", layer_id)
    assert "Traceback" not in result.output
    if result.code != 0:
        assert len(result.output.strip()) > 15 and layer_state(engine, layer_id) == before
        return
    path, bbox, _ = _catalog(engine, layer_id)
    assert cog_validate(path)[0] and all(-180 <= v <= 180 for v in bbox)


def test_rollback_keeps_old_cog_until_pruned(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    src = str(shared_data / "edge/raster/cogeo.tif")
    paths = []
    for _ in range(settings.keep_versions + 1):
        assert run_cli(settings, "import", src, "--id", "cogs").code == 0
        paths.append(_catalog(engine, "cogs")[0])
    assert not Path(paths[0]).exists(), "zu alte Versionen werden gelöscht"
    assert all(Path(p).exists() for p in paths[1:])
