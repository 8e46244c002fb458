"""Real clients over real HTTP: OWSLib and GDAL's OAPIF driver read every public collection
completely, in every offered CRS, and must agree with the database (ids, count, coordinates
transformed by pyproj)."""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest
import shapely
from owslib.ogcapi.features import Features
from pyproj import CRS, Transformer
from shapely.geometry import shape
from sqlalchemy import Engine

from buergergis.store.crs import SUPPORTED
from tests.ogc_support import frame_of

TOLERANCE = {4326: 1e-6, 25832: 0.002, 3857: 0.02, 31467: 0.002}
pytestmark = pytest.mark.timeout(300)  # a stuck HTTP client fails instead of hanging


@pytest.fixture(scope="module")
def public_ids(live_server: str, ogc_layers: list[str]) -> list[str]:
    """Every public collection the server lists (fixture layers and whatever else is loaded)."""
    ids = [c["id"] for c in Features(live_server + "/ogc").collections()["collections"]]
    assert "geheim" not in ids and len(ids) >= 5
    return ids


def _pyproj_geoms(geoms: np.ndarray, target: str, *, traditional: bool) -> np.ndarray:
    """Storage geometries in ``target`` (official axis order unless ``traditional``)."""
    transformer = Transformer.from_crs("EPSG:25832", target, always_xy=traditional)
    return shapely.transform(
        geoms, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
    )


def _deviation(got: np.ndarray, want: np.ndarray) -> float:
    """Largest Hausdorff distance between corresponding geometries (vertex order free)."""
    assert len(got) == len(want)
    return float(shapely.hausdorff_distance(got, want).max())


def _pyproj_name(uri: str) -> str:
    return "OGC:CRS84" if uri.endswith("CRS84") else "EPSG:" + uri.rsplit("/", 1)[1]


def _read_owslib(api: Features, collection: str, crs: str) -> tuple[list[dict], int]:
    features: list[dict] = []
    matched = -1
    while matched < 0 or len(features) < matched:
        page = api.collection_items(collection, limit=100, offset=len(features), crs=crs)
        matched = page["numberMatched"]
        if not page["features"]:
            break
        features += page["features"]
    return features, matched


@pytest.mark.parametrize("crs", [c.uri for c in SUPPORTED])
def test_owslib_reads_every_collection(
    live_server: str, engine: Engine, public_ids: list[str], crs: str
) -> None:
    api = Features(live_server + "/ogc")
    srid = int(CRS.from_user_input(_pyproj_name(crs)).to_epsg() or 4326)
    for collection in public_ids:
        frame = frame_of(engine, collection)
        features, matched = _read_owslib(api, collection, crs)
        assert matched == len(frame) == len(features), collection
        assert [f["id"] for f in features] == list(frame.fid), collection
        got = np.array([shape(f["geometry"]) for f in features])
        want = _pyproj_geoms(frame.geom.to_numpy(), _pyproj_name(crs), traditional=False)
        assert _deviation(got, want) < TOLERANCE[srid], (collection, crs)


@pytest.mark.parametrize("crs", [c.uri for c in SUPPORTED])
def test_gdal_oapif_reads_every_collection(
    live_server: str, engine: Engine, public_ids: list[str], crs: str
) -> None:
    srid = int(CRS.from_user_input(_pyproj_name(crs)).to_epsg() or 4326)
    for collection in public_ids:
        frame = frame_of(engine, collection)
        got = pyogrio.read_dataframe(
            f"OAPIF:{live_server}/ogc/collections/{collection}", CRS=crs, PAGE_SIZE="100"
        )
        assert len(got) == len(frame), collection
        ids = got["id"] if "id" in got.columns else got.index
        assert [str(i) for i in ids] == list(frame.fid), collection
        # GDAL hands out coordinates in the traditional GIS order (east first).
        want = _pyproj_geoms(frame.geom.to_numpy(), _pyproj_name(crs), traditional=True)
        assert _deviation(got.geometry.to_numpy(), want) < TOLERANCE[srid], (collection, crs)


def test_gdal_uses_storage_crs_and_filters(
    live_server: str, engine: Engine, ogc_layers: list[str]
) -> None:
    info = pyogrio.read_info(f"OAPIF:{live_server}/ogc/collections/buergeraemter")
    assert info["features"] == 12 and info["crs"] == "EPSG:25832"  # storageCrs
    subset = pyogrio.read_dataframe(
        f"OAPIF:{live_server}/ogc/collections/buergeraemter", where="art = 'Bürgeramt'"
    )
    assert len(subset) == 4
    box = (522_000, 5_770_000, 528_000, 5_776_000)  # in the layer CRS (storageCrs)
    boxed = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc/collections/messpunkte", bbox=box)
    frame = frame_of(engine, "messpunkte")
    assert set(boxed["id"]) == set(frame.cx[box[0] : box[2], box[1] : box[3]].fid)
