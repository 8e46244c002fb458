"""Part 2 (CRS): output in five CRSs against pyproj, bbox-crs, Content-Crs, 31467 via BeTA2007."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from flask.testing import FlaskClient
from pyproj import Transformer
from pyproj.transformer import TransformerGroup
from shapely.geometry import shape
from sqlalchemy import Engine

from buergergis.store.crs import SUPPORTED, find_crs
from tests.ogc_support import frame_of

ITEMS = "/ogc/collections/{}/items"
#: pyproj target CRS for each API CRS (EPSG:4326 in its official lat/lon order).
PYPROJ = {c.uri: ("OGC:CRS84" if c.uri.endswith("CRS84") else f"EPSG:{c.srid}") for c in SUPPORTED}
TOLERANCE = {4326: 1e-6, 25832: 0.002, 3857: 0.02, 31467: 0.002}


def expected_coords(geom: shapely.Geometry, uri: str) -> np.ndarray:
    """Storage coordinates transformed by pyproj in the axis order of the target CRS."""
    transformer = Transformer.from_crs("EPSG:25832", PYPROJ[uri])
    coords = shapely.get_coordinates(geom)
    x, y = transformer.transform(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


@pytest.mark.parametrize("crs", [c.uri for c in SUPPORTED])
@pytest.mark.parametrize("layer_id", ["buergeraemter", "baustellen", "radwege", "gemeinden"])
def test_output_crs_matches_pyproj(
    client: FlaskClient, engine: Engine, ogc_layers: list[str], layer_id: str, crs: str
) -> None:
    if layer_id not in ogc_layers:
        pytest.fail("fixture layer missing")
    frame = frame_of(engine, layer_id).set_index("fid")
    response = client.get(ITEMS.format(layer_id), query_string={"crs": crs, "limit": 1000})
    assert response.status_code == 200
    assert response.headers["Content-Crs"] == f"<{crs}>"
    features = response.json["features"]
    assert len(features) == len(frame)
    srid = find_crs(crs).srid
    for feature in features:
        got = shapely.get_coordinates(shape(feature["geometry"]))
        want = expected_coords(frame.loc[feature["id"], "geom"], crs)
        assert np.abs(got - want).max() < TOLERANCE[srid], (feature["id"], crs)


def test_epsg_4326_is_latitude_first(client: FlaskClient, ogc_layers: list[str]) -> None:
    crs84 = client.get(ITEMS.format("buergeraemter") + "?limit=1").json["features"][0]
    latlon = client.get(
        ITEMS.format("buergeraemter") + "?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4326"
    ).json["features"][0]
    lon, lat = crs84["geometry"]["coordinates"]
    assert latlon["geometry"]["coordinates"] == [lat, lon]
    assert 52 < lat < 53 and 9 < lon < 10


@pytest.mark.parametrize("bbox_crs", [c.uri for c in SUPPORTED])
def test_bbox_crs(
    client: FlaskClient, engine: Engine, ogc_layers: list[str], bbox_crs: str
) -> None:
    frame = frame_of(engine, "messpunkte")
    x0, y0, x1, y1 = 522_000.0, 5_770_000.0, 528_000.0, 5_776_000.0
    inside = frame[frame.geom.within(shapely.box(x0, y0, x1, y1).buffer(-50))]
    outside = frame[~frame.geom.intersects(shapely.box(x0, y0, x1, y1).buffer(50))]
    corners = expected_coords(
        shapely.multipoints([(x0, y0), (x1, y1), (x0, y1), (x1, y0)]), bbox_crs
    )
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    bbox = ",".join(str(v) for v in (*lo, *hi))
    doc = client.get(
        ITEMS.format("messpunkte"), query_string={"bbox": bbox, "bbox-crs": bbox_crs, "limit": 1000}
    ).json
    ids = {f["id"] for f in doc["features"]}
    assert set(inside.fid) <= ids and not (set(outside.fid) & ids)


def test_item_in_other_crs(client: FlaskClient, engine: Engine, ogc_layers: list[str]) -> None:
    frame = frame_of(engine, "radwege").set_index("fid")
    fid = frame.index[0]
    response = client.get(ITEMS.format("radwege") + f"/{fid}?crs=EPSG:31467")
    assert response.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/31467>"
    got = shapely.get_coordinates(shape(response.json["geometry"]))
    assert np.abs(got - expected_coords(frame.loc[fid, "geom"], SUPPORTED[4].uri)).max() < 0.002


def test_postgis_uses_the_beta2007_grid_like_pyproj(engine: Engine) -> None:
    """DHDN → ETRS89 near Hameln: PostGIS uses the BeTA2007 grid (DHDN to ETRS89 (8)) as pyproj
    does; the Helmert fallback (DHDN to ETRS89 (2)) would be off by about 0.4 m."""
    with engine.connect() as conn:
        x, y = conn.exec_driver_sql(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform("
            "ST_SetSRID(ST_MakePoint(3525300, 5774900), 31467), 25832) g) s"
        ).one()
    group = TransformerGroup("EPSG:31467", "EPSG:25832", always_xy=True)
    by_name = {t.description.split(" + ")[2]: t for t in group.transformers}
    grid = by_name["DHDN to ETRS89 (8)"].transform(3525300, 5774900)
    helmert = by_name["DHDN to ETRS89 (2)"].transform(3525300, 5774900)
    assert math.dist((x, y), grid) < 0.001
    assert math.dist((x, y), helmert) > 0.1
    best = Transformer.from_crs("EPSG:31467", "EPSG:25832", always_xy=True)
    assert math.dist(best.transform(3525300, 5774900), grid) < 0.001
