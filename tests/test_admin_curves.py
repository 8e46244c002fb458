"""GeoPackages with curved geometries (as QGIS writes them) are linearised, not refused."""

# ruff: noqa: F811 - the fixture 'editor' comes from tests.admin_support

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import shapely
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from tests.admin_support import Staff, editor, publish, upload  # noqa: F401 - fixtures

CURVES = """id,name,WKT
1,Kreisel Ost,"CURVEPOLYGON(CIRCULARSTRING(524400 5772700,524500 5772700,524400 5772700))"
2,Bogenfeld,"CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(523900 5772500,523950 5772550,524000 5772500),(524000 5772500,523900 5772500)))"
3,Rechteck,"POLYGON((524100 5772900,524200 5772900,524200 5773000,524100 5773000,524100 5772900))"
"""


@pytest.fixture(scope="module")
def curves_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage layer of type CurvePolygon in EPSG:25832, written by GDAL's ogr2ogr."""
    ogr2ogr = shutil.which("ogr2ogr")
    assert ogr2ogr, "ogr2ogr (gdal-bin, scripts/system-deps.sh) fehlt"
    folder = tmp_path_factory.mktemp("kurven")
    (folder / "kurven.csv").write_text(CURVES, encoding="utf-8")
    target = folder / "kurven.gpkg"
    subprocess.run(
        [
            ogr2ogr,
            "-f",
            "GPKG",
            str(target),
            str(folder / "kurven.csv"),
            "-a_srs",
            "EPSG:25832",
            "-nln",
            "flaechen",
            "-nlt",
            "CURVEPOLYGON",
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
        ],
        check=True,
        capture_output=True,
    )
    return target


def test_curves_are_linearised_counted_and_published(
    client: FlaskClient, editor: Staff, engine: Engine, curves_gpkg: Path
) -> None:
    staged = upload(client, editor, curves_gpkg.read_bytes(), "kurven.gpkg")
    assert staged.status_code == 201
    upload_id = staged.get_json()["id"]
    preview = client.get(f"/admin/api/uploads/{upload_id}/preview", headers=editor.bearer)
    assert preview.status_code == 200, preview.get_json()
    geometry = preview.get_json()["geometry"]
    assert geometry["linearised"] == 3 and geometry["read"] == 3
    assert any("höchstens 1° Bogen je Segment" in n for n in geometry["notes"])
    result = publish(client, editor, upload_id, "kurven")
    assert result.status_code == 201, result.get_json()
    assert result.get_json()["counts"]["linearised"] == 3
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT fid, ST_AsBinary(geom), ST_Area(geom) FROM layers."kurven" ORDER BY gid')
        ).all()
    assert len(rows) == 3
    circle = shapely.from_wkb(bytes(rows[0][1]))
    assert circle.geom_type in ("Polygon", "MultiPolygon")
    assert shapely.get_num_coordinates(circle) > 300  # 1° steps around the whole circle
    # the segments stay within the stated tolerance: area within 0.01 % of π·50²
    assert rows[0][2] == pytest.approx(3.141592653589793 * 50**2, rel=1e-4)
