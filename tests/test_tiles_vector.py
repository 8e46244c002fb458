"""Vector tiles: decoded with real clients (mapbox-vector-tile, GDAL's MVT driver) and checked
against PostGIS — features, ids, attributes, positions, clipping, empty tiles and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import psycopg
import pyogrio
import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient
from pyproj import Transformer
from shapely.geometry import box, shape
from sqlalchemy import Engine, text

from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from buergergis.store.sql import layer_view
from buergergis.tiles import vector
from buergergis.tiles.grid import EXTENT, TileAddress
from tests.admin_support import Staff, editor, login_session  # noqa: F401 - fixture
from tests.tiles_support import TileLayers, tile_at, tile_covering_grid

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture()
def pg(settings: Settings) -> Iterator[psycopg.Connection]:
    """A plain psycopg connection, as the tile service uses."""
    with psycopg.connect(settings.libpq_url(), autocommit=True) as conn:
        yield conn


def decode(data: bytes) -> dict[str, Any]:
    """Decode with MVT-native coordinates (origin top left, y down)."""
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def get_tile(client: FlaskClient, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == MVT
    return response.data


def gids_touching(engine: Engine, layer_id: str, z: int, x: int, y: int, margin: float) -> set[int]:
    sql = (
        f"SELECT gid FROM {layer_view(layer_id)} WHERE ST_Intersects(ST_Transform(geom, 3857),"  # noqa: S608
        " ST_TileEnvelope(:z, :x, :y, margin => :m))"
    )
    with engine.connect() as conn:
        return {r.gid for r in conn.execute(text(sql), {"z": z, "x": x, "y": y, "m": margin})}


def test_whole_layer_tile_has_every_feature_with_published_attributes_only(
    client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    z, x, y = tile_covering_grid()
    layer = decode(get_tile(client, f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt"))[
        tile_layers.parcels
    ]
    sql = (
        "SELECT gid, fid, name, nummer, flaeche, bebaut, to_char(datum, 'YYYY-MM-DD') AS datum,"
        " to_char(geaendert AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS geaendert,"
        ' CAST(extra AS text) AS extra FROM layers."tiles-parcels"'
    )
    with engine.connect() as conn:
        rows = {r.gid: r._asdict() for r in conn.execute(text(sql))}
    assert len(layer["features"]) == len(rows) == 100
    assert layer["extent"] == EXTENT
    for feature in layer["features"]:
        expected = rows[feature["id"]]
        expected.pop("gid")
        assert feature["properties"] == expected
        assert feature["geometry"]["type"] == "Polygon"


def test_clipped_tile_holds_exactly_the_features_at_the_tile(
    client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    z, x, y = tile_at(16)
    features = decode(get_tile(client, f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt"))[
        tile_layers.parcels
    ]["features"]
    ids = {f["id"] for f in features}
    inside = gids_touching(engine, tile_layers.parcels, z, x, y, 0.0)
    with_buffer = gids_touching(engine, tile_layers.parcels, z, x, y, 64 / EXTENT)
    assert inside and inside <= ids <= with_buffer
    assert len(with_buffer) < 100, "the tile must really cut the layer"
    clip = box(-64, -64, EXTENT + 64, EXTENT + 64)
    assert all(clip.contains(shape(f["geometry"])) for f in features)


def test_feature_positions_match_postgis(
    client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    z, x, y = tile_at(16)
    tile = TileAddress(z, x, y)
    minx, miny, maxx, maxy = tile.bounds_3857()
    unit = (maxx - minx) / EXTENT
    features = decode(get_tile(client, f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt"))[
        tile_layers.parcels
    ]["features"]
    sql = 'SELECT gid, ST_X(c) AS x, ST_Y(c) AS y FROM (SELECT gid, ST_Transform(ST_Centroid(geom), 3857) AS c FROM layers."tiles-parcels") s'
    with engine.connect() as conn:
        centres = {r.gid: (r.x, r.y) for r in conn.execute(text(sql))}
    checked = 0
    for feature in features:
        geom = shape(feature["geometry"])
        if not box(0, 0, EXTENT, EXTENT).contains(geom):
            continue
        c = geom.centroid
        mx, my = minx + c.x * unit, maxy - c.y * unit
        ex, ey = centres[feature["id"]]
        assert abs(mx - ex) < 1.5 * unit and abs(my - ey) < 1.5 * unit
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("z", [14, 16])
def test_affine_shortcut_draws_what_st_transform_draws(
    z: int,
    engine: Engine,
    pg: psycopg.Connection,
    tile_layers: TileLayers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tile = TileAddress(*tile_at(z))
    with engine.connect() as conn:
        record = get_layer(conn, tile_layers.parcels)
        assert record is not None
        vector.affine_fit.cache_clear()
        fast = vector.build_query([record], tile)
        fast_tile = decode(vector.render_mvt(pg, fast))[tile_layers.parcels]["features"]
        monkeypatch.setattr(vector, "AFFINE_MAX_ERROR", -1.0)
        vector.affine_fit.cache_clear()
        exact = vector.build_query([record], tile)
        exact_tile = decode(vector.render_mvt(pg, exact))[tile_layers.parcels]["features"]
    vector.affine_fit.cache_clear()
    assert "ST_Affine" in fast.sql and "ST_Affine" not in exact.sql
    view = box(0, 0, EXTENT, EXTENT)
    a = {f["id"]: shape(f["geometry"]).intersection(view) for f in fast_tile}
    b = {f["id"]: shape(f["geometry"]).intersection(view) for f in exact_tile}
    visible = {k for k in a.keys() & b.keys() if not a[k].is_empty and not b[k].is_empty}
    assert visible
    assert max(shapely.hausdorff_distance(a[k], b[k]) for k in visible) <= 1.5


def test_affine_fit_refused_where_the_projection_bends() -> None:
    assert vector.affine_fit(TileAddress(*tile_at(16)), 25832) is not None
    assert vector.affine_fit(TileAddress(*tile_at(9)), 25832) is None


def test_several_layers_in_one_tile(client: FlaskClient, tile_layers: TileLayers) -> None:
    z, x, y = tile_at(14)
    both = decode(
        get_tile(client, f"/tiles/{tile_layers.parcels},{tile_layers.points}/{z}/{x}/{y}.mvt")
    )
    assert list(both) == [tile_layers.parcels, tile_layers.points]
    for layer_id in (tile_layers.parcels, tile_layers.points):
        alone = decode(get_tile(client, f"/tiles/{layer_id}/{z}/{x}/{y}.mvt"))[layer_id]
        assert both[layer_id]["features"] == alone["features"]
    assert both[tile_layers.points]["features"][0]["geometry"]["type"] == "Point"


def test_tile_far_from_data_is_empty_without_sql(
    client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    response = client.get(f"/tiles/{tile_layers.parcels}/14/0/0.mvt")
    assert response.status_code == 200 and response.data == b""
    with engine.connect() as conn:
        record = get_layer(conn, tile_layers.parcels)
    assert record is not None and vector.build_query([record], TileAddress(14, 0, 0)).empty


def test_tile_inside_extent_without_features_is_empty(
    client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    z = 16
    with engine.connect() as conn:
        record = get_layer(conn, tile_layers.points)
    assert record is not None and record.bbox
    west, south, east, north = record.bbox
    _, x0, y1 = tile_at(z, (west, south))
    _, x1, y0 = tile_at(z, (east, north))
    empty = next(
        (x, y)
        for x in range(x0, x1 + 1)
        for y in range(y0, y1 + 1)
        if not gids_touching(engine, tile_layers.points, z, x, y, 64 / EXTENT)
    )
    for _ in ("rendered", "from the cache"):
        response = client.get(
            f"/tiles/{tile_layers.points}/{z}/{empty[0]}/{empty[1]}.mvt",
            headers={"Accept-Encoding": "gzip"},
        )
        assert response.status_code == 200 and response.data == b""
        assert "Content-Encoding" not in response.headers, "0 bytes are no gzip stream"


def _errors(layers_ids: list[str]) -> list[tuple[str, int]]:
    eleven = ",".join(f"l{i}" for i in range(11))
    return [
        ("/tiles/tiles-parcels/25/0/0.mvt", 404),
        ("/tiles/tiles-parcels/2/4/0.mvt", 404),
        ("/tiles/tiles-parcels/2/0/4.mvt", 404),
        ("/tiles/tiles-parcels/17/0/0.mvt", 404),
        ("/tiles/tiles-parcels/99999999999/0/0.mvt", 404),
        ("/tiles/tiles-parcels/1/0/123456789.mvt", 404),
        ("/tiles/tiles-parcels/-1/0/0.mvt", 404),
        ("/tiles/tiles-parcels/a/0/0.mvt", 404),
        ("/tiles/tiles-parcels/1/0/abc.mvt", 404),
        ("/tiles/tiles-parcels/1/0/0.gif", 404),
        ("/tiles/tiles-parcels/1/0/0@2x.mvt", 404),
        ("/tiles/tiles-parcels/1/0/0.png", 404),
        ("/tiles/tiles-ramp/1/0/0.mvt", 404),
        ("/tiles/tiles-parcels,tiles-ramp/1/0/0.mvt", 404),
        ("/tiles/nicht-da/1/0/0.mvt", 404),
        ("/tiles/%C3%84rger/1/0/0.mvt", 404),
        ("/tiles/tiles-parcels,tiles-parcels/1/0/0.mvt", 400),
        (f"/tiles/{eleven}/1/0/0.mvt", 400),
    ]


@pytest.mark.parametrize(("path", "status"), _errors([]))
def test_bad_tile_requests_get_the_json_error_body(
    client: FlaskClient, tile_layers: TileLayers, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) >= {"code", "description"} and body["description"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_private_layer_has_no_tiles_for_anonymous_requests(
    client: FlaskClient, tile_layers: TileLayers
) -> None:
    z, x, y = tile_at(14)
    for path in (
        f"/tiles/{tile_layers.private}/{z}/{x}/{y}.mvt",
        f"/tiles/{tile_layers.parcels},{tile_layers.private}/{z}/{x}/{y}.mvt",
        f"/tiles/{tile_layers.private}.json",
        f"/ogc/collections/{tile_layers.private}/tiles",
    ):
        response = client.get(path)
        unknown = client.get(path.replace(tile_layers.private, "gibt-es-nicht"))
        assert response.status_code == unknown.status_code == 404
        assert response.get_json()["code"] == unknown.get_json()["code"]


def test_gdal_mvt_driver_reads_a_tile(
    client: FlaskClient, tile_layers: TileLayers, tmp_path: Path
) -> None:
    z, x, y = tile_at(15)
    data = get_tile(client, f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt")
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    frame = pyogrio.read_dataframe(path, layer=tile_layers.parcels, CLIP="NO")
    decoded = decode(data)[tile_layers.parcels]["features"]
    assert len(frame) == len(decoded) > 0
    assert frame.crs.to_epsg() == 3857
    assert sorted(frame["name"]) == sorted(f["properties"]["name"] for f in decoded)
    minx, miny, maxx, maxy = TileAddress(z, x, y).bounds_3857(64)
    assert box(minx, miny, maxx, maxy).contains(shapely.union_all(frame.geometry.values))
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(
        *frame.geometry.iloc[0].centroid.coords[0]
    )
    assert 9.3 < lon < 9.45 and 52.05 < lat < 52.15


def test_sql_is_built_from_quoted_identifiers_and_bind_parameters(
    engine: Engine, tile_layers: TileLayers
) -> None:
    tile = TileAddress(*tile_at(16))
    with engine.connect() as conn:
        records = [get_layer(conn, tile_layers.parcels), get_layer(conn, tile_layers.points)]
    query = vector.build_query(records, tile)  # type: ignore[arg-type]
    assert query.sql.count("ST_AsMVT(") == 2 and " || " in query.sql
    assert 'layerdata."tiles-parcels__v' in query.sql and '"nummer"' in query.sql
    assert str(tile.x) not in query.sql and "tiles-points'" not in query.sql
    assert query.params["name0"] == tile_layers.parcels and query.params["x"] == tile.x
    assert "%(name0)s" in query.sql and "%(x0_1)s" in query.sql
    assert '"geheim"' not in query.sql


def test_low_zoom_simplification_is_invisible(
    shared_data: Path,
    engine: Engine,
    pg: psycopg.Connection,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from buergergis.catalog.models import Source, VectorLayer
    from buergergis.ingest.pipeline import load_layer

    source = Source(
        path=str(shared_data / "official/derived_hameln_pyrmont_25832.gpkg"),
        layer="gemeinden_vg5000",
    )
    load_layer(
        engine, settings, VectorLayer(id="tiles-gemeinden", title="Gemeinden", source=source)
    )
    tile = TileAddress(*tile_at(9))
    with engine.connect() as conn:
        record = get_layer(conn, "tiles-gemeinden")
        assert record is not None
        simplified = vector.build_query([record], tile)
        small = vector.render_mvt(pg, simplified)
        monkeypatch.setattr(vector, "SIMPLIFY_MIN_M", 1e12)
        full = vector.render_mvt(pg, vector.build_query([record], tile))
    assert "ST_Simplify" in simplified.sql
    a = {f["id"]: shape(f["geometry"]) for f in decode(small)["tiles-gemeinden"]["features"]}
    b = {f["id"]: shape(f["geometry"]) for f in decode(full)["tiles-gemeinden"]["features"]}
    assert a.keys() == b.keys() and len(a) >= 5
    assert max(shapely.hausdorff_distance(a[k], b[k]) for k in a) <= 1.5
    assert len(small) <= len(full)


def test_staff_see_private_tiles_and_their_metadata_as_private(
    app: Flask,
    tile_layers: TileLayers,
    editor: Staff,  # noqa: F811
) -> None:
    """Tiles, TileJSON and tilesets of a private layer never reach a shared cache."""
    staff = login_session(app.test_client(), editor)
    z, x, y = tile_at(14)
    for path in (
        f"/tiles/{tile_layers.private}/{z}/{x}/{y}.mvt",
        f"/tiles/{tile_layers.private}.json",
        f"/ogc/collections/{tile_layers.private}/tiles",
        f"/ogc/collections/{tile_layers.private}/tiles/WebMercatorQuad",
    ):
        response = staff.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        assert response.headers["Cache-Control"] == "private, no-cache", path
        again = staff.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["Cache-Control"] == "private, no-cache", path
    public = staff.get(f"/tiles/{tile_layers.parcels}.json")
    assert public.headers["Cache-Control"] != "private, no-cache"
