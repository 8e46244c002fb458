"""Open Data downloads: GeoJSON, GeoPackage, CSV and zipped Shapefile, read back with GDAL."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from flask.testing import FlaskClient
from pyproj import Transformer
from sqlalchemy import Engine

from buergergis.catalog.models import Attribute, Source, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from buergergis.store.exports import _batches, _schema, geojson_chunks
from tests.conftest import require
from tests.ogc_support import frame_of

URL = "/ogc/collections/{}/download/{}"


def _read(data: bytes, suffix: str, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / f"download{suffix}"
    path.write_bytes(data)
    if suffix == ".csv":
        return pyogrio.read_dataframe(
            path, GEOM_POSSIBLE_NAMES="geometry_wkt", KEEP_GEOM_COLUMNS="NO"
        )
    return pyogrio.read_dataframe(f"/vsizip/{path}" if suffix == ".zip" else path)


def _storage_xy(geoms: np.ndarray, crs: str) -> np.ndarray:
    """Coordinates in EPSG:25832 after normalising ring order (Shapefile rewinds rings)."""
    if crs != "EPSG:25832":
        transformer = Transformer.from_crs(crs, "EPSG:25832", always_xy=True)
        geoms = shapely.transform(
            geoms, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
        )
    return shapely.get_coordinates(shapely.normalize(geoms))


@pytest.mark.parametrize(
    ("key", "suffix", "crs", "tolerance"),
    [
        ("geojson", ".geojson", "OGC:CRS84", 0.02),
        ("gpkg", ".gpkg", "EPSG:25832", 1e-6),
        ("csv", ".csv", "OGC:CRS84", 0.02),
        ("shp.zip", ".zip", "EPSG:25832", 1e-6),
    ],
)
@pytest.mark.parametrize("layer_id", ["buergeraemter", "baustellen", "radwege"])
def test_download_matches_the_database(
    client: FlaskClient,
    engine: Engine,
    ogc_layers: list[str],
    tmp_path: Path,
    layer_id: str,
    key: str,
    suffix: str,
    crs: str,
    tolerance: float,
) -> None:
    response = client.get(URL.format(layer_id, key))
    assert response.status_code == 200
    assert f'filename="{layer_id}.' in response.headers["Content-Disposition"]
    assert 'rel="license"' in response.headers["Link"]
    got = _read(response.data, suffix, tmp_path)
    want = frame_of(engine, layer_id)
    assert list(got["id"].astype(str)) == list(want["fid"])
    first_attr = want.columns[2]
    column = first_attr[:10] if key == "shp.zip" else first_attr
    assert list(got[column].astype(str)) == list(want[first_attr].astype(str))
    diff = np.abs(
        _storage_xy(got.geometry.to_numpy(), crs) - _storage_xy(want.geom.to_numpy(), "EPSG:25832")
    )
    assert diff.max() < tolerance


def test_geojson_and_csv_are_streamed(
    client: FlaskClient, engine: Engine, ogc_layers: list[str]
) -> None:
    for key in ("geojson", "csv"):
        response = client.get(URL.format("messpunkte", key))
        assert response.is_streamed
    with engine.connect() as conn:
        layer = get_layer(conn, "messpunkte")
    chunks = list(geojson_chunks(engine, layer, batch=50))
    assert len(chunks) == 8  # head, 6 batches of at most 50 of 257 features, tail
    assert len(json.loads(b"".join(chunks))["features"]) == 257
    batches = list(_batches(engine, layer, _schema(layer), batch=100))
    assert [b.num_rows for b in batches] == [100, 100, 57]


def test_licence_and_attribution_travel_with_the_files(
    client: FlaskClient, ogc_layers: list[str], tmp_path: Path
) -> None:
    geojson = client.get(URL.format("baustellen", "geojson")).json
    assert geojson["license"] == "cc-by-4.0" and geojson["attribution"] == "Stadt Hameln"
    archive = zipfile.ZipFile(io.BytesIO(client.get(URL.format("baustellen", "shp.zip")).data))
    assert "Lizenz: cc-by-4.0" in archive.read("LIZENZ.txt").decode()
    assert {"baustellen.shp", "baustellen.dbf", "baustellen.prj", "baustellen.cpg"} <= set(
        archive.namelist()
    )
    path = tmp_path / "b.gpkg"
    path.write_bytes(client.get(URL.format("baustellen", "gpkg")).data)
    info = pyogrio.read_info(path)
    assert info["dataset_metadata"]["license"] == "cc-by-4.0"
    assert info["crs"] == "EPSG:25832"


def test_files_are_cached_per_version_and_formats_checked(
    client: FlaskClient, settings: Settings, ogc_layers: list[str]
) -> None:
    client.get(URL.format("radwege", "gpkg"))
    cache = settings.var / "cache" / "downloads"
    assert any(p.name.startswith("radwege__v") for p in cache.iterdir())
    assert client.get(URL.format("radwege", "xlsx")).status_code == 404
    assert client.get(URL.format("radwege", "gpkg") + "?x=1").status_code == 400


def test_shapefile_url_ends_in_zip_and_the_old_one_redirects(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    links = client.get("/ogc/collections/radwege").json["links"]
    shp = [lnk["href"] for lnk in links if lnk.get("type") == "application/zip"]
    assert shp == ["http://localhost/ogc/collections/radwege/download/shp.zip"]
    old = client.get(URL.format("radwege", "shp"))
    assert old.status_code == 301
    assert old.headers["Location"].endswith("/ogc/collections/radwege/download/shp.zip")


@pytest.mark.parametrize("key", ["gpkg", "shp.zip"])
def test_files_answer_range_requests(client: FlaskClient, ogc_layers: list[str], key: str) -> None:
    whole = client.get(URL.format("radwege", key))
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    size = len(whole.data)
    part = client.get(URL.format("radwege", key), headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
    assert part.data == whole.data[100:200]
    tail = client.get(URL.format("radwege", key), headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == whole.data[-50:]
    beyond = client.get(URL.format("radwege", key), headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"


def test_streamed_formats_say_they_take_no_ranges(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    for key in ("geojson", "csv"):
        response = client.get(URL.format("radwege", key), headers={"Range": "bytes=0-9"})
        assert response.status_code == 200 and response.headers["Accept-Ranges"] == "none"


def test_geopackage_version_is_read_by_old_gdal(
    client: FlaskClient, ogc_layers: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "r.gpkg"
    path.write_bytes(client.get(URL.format("radwege", "gpkg")).data)
    with sqlite3.connect(path) as db:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        (application,) = db.execute("PRAGMA application_id").fetchone()
    assert application == 0x47504B47 and version == 10200  # "GPKG", GeoPackage 1.2


def _ogrinfo(*args: str) -> subprocess.CompletedProcess[str]:
    ogrinfo = shutil.which("ogrinfo")
    require(ogrinfo is not None, "GDAL's ogrinfo (Debian gdal-bin) is not installed")
    assert ogrinfo is not None
    env = {"GDAL_HTTP_TIMEOUT": "60", "PATH": "/usr/bin", "CPL_DEBUG": "OFF"}
    return subprocess.run(
        [ogrinfo, "-ro", "-so", "-al", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/vsicurl/{}/ogc/collections/radwege/download/gpkg", 15),
        ("/vsizip/vsicurl/{}/ogc/collections/radwege/download/shp.zip", 15),
        ("/vsicurl/{}/ogc/collections/messpunkte/download/gpkg", 257),
    ],
)
def test_gdal_reads_downloads_in_place(
    live_server: str, ogc_layers: list[str], path: str, count: int
) -> None:
    """The system's GDAL (3.6 on Debian 12) reads the files over HTTP ranges, warning-free."""
    result = _ogrinfo(path.format(live_server))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"Feature Count: {count}" in result.stdout, output
    assert "Range downloading not supported" not in output
    assert "partially supported" not in output, output
    # the one warning left: a GeoPackage URL (…/download/gpkg) has no .gpkg suffix
    warnings = [line for line in output.splitlines() if "Warning" in line]
    assert all("non conformant file extension" in w for w in warnings), warnings


def test_csv_cells_cannot_start_a_formula(
    client: FlaskClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """OWASP CSV injection: =, +, -, @, tab and CR at the start of a text cell get a leading
    apostrophe; numbers (also negative ones) and harmless text stay as they are."""
    import geopandas as gpd

    values = ['=HYPERLINK("http://x")', "+49 5151", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Rathaus"]
    path = tmp_path / "formeln.gpkg"
    gpd.GeoDataFrame(
        {"text": values, "zahl": [-1.5] * len(values)},
        geometry=[shapely.Point(525_000 + i, 5_773_000) for i in range(len(values))],
        crs="EPSG:25832",
    ).to_file(path, engine="pyogrio")
    definition = VectorLayer(
        id="formeln",
        title="Formeln",
        source=Source(path=str(path)),
        attributes=(Attribute(name="text"), Attribute(name="zahl", type="float")),
    )
    load_layer(engine, settings, definition)
    body = client.get(URL.format("formeln", "csv")).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [r["text"] for r in rows] == ["'" + v for v in values[:-1]] + ["Rathaus"]
    assert {r["zahl"] for r in rows} == {"-1.5"}
