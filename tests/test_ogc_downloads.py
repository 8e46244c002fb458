"""Open Data downloads: GeoJSON, GeoPackage, CSV and zipped Shapefile, read back with GDAL."""

from __future__ import annotations

import io
import json
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

from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from buergergis.store.exports import _batches, _schema, geojson_chunks
from tests.ogc_support import frame_of, load_ogc_layers

URL = "/ogc/collections/{}/download/{}"


@pytest.fixture(scope="session")
def ogc_layers(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """The OGC fixture layers, loaded once per session."""
    return load_ogc_layers(engine, settings, tmp_path_factory.mktemp("ogc"))


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
        ("shp", ".zip", "EPSG:25832", 1e-6),
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
    column = first_attr[:10] if key == "shp" else first_attr
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
    archive = zipfile.ZipFile(io.BytesIO(client.get(URL.format("baustellen", "shp")).data))
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
