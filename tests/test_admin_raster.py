"""Raster uploads: GeoTIFF (or zip with .tfw/.prj) → Upload-Doktor → COG layer; replace, roll back."""

# ruff: noqa: F811 - the fixture 'editor' comes from tests.admin_support

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from flask.testing import FlaskClient
from pyproj import CRS
from rasterio.transform import from_origin
from sqlalchemy import Engine, text

from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    csrf_token,
    editor,
    login_session,
    publish,
    upload,
    upload_and_publish,
    zip_files,
)

#: A 2.4 km × 2.4 km terrain around the Hameln town hall (EPSG:25832), 2 m pixels (large
#: enough for the COG to get overviews).
ORIGIN = (523_200.0, 5_773_800.0)
SIZE = 1200
PIXEL = 2


def dem(height: float) -> np.ndarray:
    """A hill of ``height`` metres with a NoData corner."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    spread = (SIZE / 4) ** 2
    hill = np.exp(-((x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2) / spread)
    data = (60 + height * hill).astype("float32")
    data[:50, :50] = -9999
    return data


def geotiff(path: Path, data: np.ndarray, *, georeferenced: bool = True) -> Path:
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "float32",
        "nodata": -9999,
    }
    if georeferenced:
        profile |= {"crs": "EPSG:25832", "transform": from_origin(*ORIGIN, PIXEL, PIXEL)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def _tile_url(layer_id: str, z: int = 14) -> str:
    lon, lat = 9.3561, 52.1036
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/{layer_id}/{z}/{x}/{y}.png"


def test_geotiff_doctor_publish_cog_replace_and_rollback(
    client: FlaskClient, editor: Staff, engine: Engine, tmp_path: Path
) -> None:
    first = geotiff(tmp_path / "gelaende.tif", dem(40))
    staged = upload(client, editor, first.read_bytes(), "gelaende.tif")
    assert staged.status_code == 201, staged.get_json()
    body = staged.get_json()
    assert body["datasets"][0]["format"] == "gtiff"
    preview = client.get(body["links"]["preview"], headers=editor.bearer).get_json()
    assert preview["kind"] == "raster" and preview["crs"] == "EPSG:25832"
    assert (preview["width"], preview["height"], preview["bands"]) == (SIZE, SIZE, 1)
    assert preview["nodata"] == -9999 and preview["values"]["min"] == pytest.approx(60, abs=1)
    assert preview["preview_png"].startswith("data:image/png;base64,")
    assert 9.3 < preview["bounds_wgs84"][0] < 9.4

    result = publish(
        client, editor, body["id"], "relief-upload", title="Gelände", mode="hillshade", public=True
    )
    assert result.status_code == 201, result.get_json()
    state = client.get("/admin/api/layers/relief-upload", headers=editor.bearer).get_json()
    assert state["kind"] == "raster" and state["definition"]["raster"]["mode"] == "hillshade"
    with engine.connect() as conn:
        path = conn.execute(
            text("SELECT raster_path FROM buergergis.layer WHERE id = 'relief-upload'")
        ).scalar_one()
    with rasterio.open(path) as cog:
        assert cog.overviews(1) and cog.profile["tiled"]  # a COG with overviews
    tile = client.get(_tile_url("relief-upload"))
    assert tile.status_code == 200 and tile.mimetype == "image/png"

    second = geotiff(tmp_path / "neu.tif", dem(120))
    staged = upload(client, editor, second.read_bytes(), "neu.tif").get_json()
    replaced = client.post(
        f"/admin/api/uploads/{staged['id']}/replace",
        headers=editor.bearer,
        json={"layer": "relief-upload"},
    )
    assert replaced.status_code == 200, replaced.get_json()
    after = client.get(_tile_url("relief-upload"), headers={"If-None-Match": tile.headers["ETag"]})
    assert after.status_code == 200 and after.data != tile.data
    state = client.get("/admin/api/layers/relief-upload", headers=editor.bearer).get_json()
    assert state["definition"]["raster"]["mode"] == "hillshade"  # display options stay
    rolled = client.post(
        "/admin/api/layers/relief-upload/rollback",
        headers=editor.bearer,
        json={"version": state["versions"][-1]["version"]},
    )
    assert rolled.status_code == 200, rolled.get_json()
    assert client.get(_tile_url("relief-upload")).data == tile.data


def test_zip_with_world_file_and_prj(client: FlaskClient, editor: Staff, tmp_path: Path) -> None:
    folder = tmp_path / "zip"
    folder.mkdir()
    plain = geotiff(folder / "dgm.tif", dem(40), georeferenced=False)
    centre = (ORIGIN[0] + PIXEL / 2, ORIGIN[1] - PIXEL / 2)  # a world file names pixel centres
    (folder / "dgm.tfw").write_text(f"{PIXEL}\n0\n0\n-{PIXEL}\n{centre[0]}\n{centre[1]}\n")
    (folder / "dgm.prj").write_text(CRS.from_epsg(25832).to_wkt("WKT1_ESRI"))
    data = zip_files([plain, folder / "dgm.tfw", folder / "dgm.prj"])
    staged = upload(client, editor, data, "dgm.zip").get_json()
    preview = client.get(staged["links"]["preview"], headers=editor.bearer).get_json()
    assert preview["crs"] == "EPSG:25832" and preview["crs_from_prj"] is True
    assert 9.3 < preview["bounds_wgs84"][0] < 9.4
    result = publish(client, editor, staged["id"], "dgm-upload", colormap="viridis")
    assert result.status_code == 201, result.get_json()
    assert client.get(_tile_url("dgm-upload")).status_code == 200


def test_bad_raster_input_is_refused_in_german(
    client: FlaskClient, editor: Staff, tmp_path: Path
) -> None:
    tif = geotiff(tmp_path / "x.tif", dem(10)).read_bytes()
    staged = upload(client, editor, tif, "x.tif").get_json()
    wrong = publish(client, editor, staged["id"], "raster-falsch", mode="3d")
    assert wrong.status_code == 400 and "Unbekannte Darstellung" in wrong.get_json()["description"]
    upload_and_publish(
        client,
        editor,
        b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":1},'
        b'"geometry":{"type":"Point","coordinates":[9.35,52.1]}}]}',
        "p.geojson",
        "punkte-raster",
    )
    mixed = client.post(
        f"/admin/api/uploads/{staged['id']}/replace",
        headers=editor.bearer,
        json={"layer": "punkte-raster"},
    )
    assert mixed.status_code == 400
    assert "nur durch ein GeoTIFF" in mixed.get_json()["description"]


def test_raster_doctor_page(client: FlaskClient, editor: Staff, tmp_path: Path) -> None:
    tif = geotiff(tmp_path / "seite.tif", dem(40)).read_bytes()
    staged = upload(client, editor, tif, "seite.tif").get_json()
    login_session(client, editor)
    page = client.get(f"/admin/uploads/{staged['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="raster-preview"' in html and "EPSG:25832" in html
    assert f"{SIZE} × {SIZE} Pixel" in html
    form = {
        "csrf_token": csrf_token(client, f"/admin/uploads/{staged['id']}"),
        "dataset": "0",
        "id": "seiten-raster",
        "title": "Raster per Seite",
        "category": "Umwelt",
        "mode": "colormap",
        "colormap": "terrain",
        "opacity": "0,6",
        "license": "dl-de/by-2-0",
        "attribution": "Stadt Hameln",
        "color": "#1f6fb2",
    }
    response = client.post(f"/admin/uploads/{staged['id']}/publish", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    state = client.get("/admin/api/layers/seiten-raster", headers=editor.bearer).get_json()
    assert state["public"] is False and state["definition"]["raster"]["opacity"] == 0.6
