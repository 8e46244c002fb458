"""The vector tiles' fast path (snap to the grid without ST_AsMVTGeom's clip-and-repair) draws
what ST_AsMVTGeom draws: same features, same attributes, same rings, on hostile shapes (slivers,
holes next to the shell, parts a hair apart, dense vertices, features across the tile edge) and
on real municipal boundaries — and the loader stores the clearance it relies on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import psycopg
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import Engine, text

from buergergis.catalog.models import Attribute, Source, VectorLayer
from buergergis.ingest.clearance import minimum_clearance
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store import lifecycle
from buergergis.store.catalog import LayerRecord, get_layer
from buergergis.store.sql import CLEARANCE_COLUMN, data_table
from buergergis.tiles import vector
from buergergis.tiles.grid import TileAddress
from tests.tiles_support import CENTRE, centre_lonlat, tile_at

HOSTILE = "tiles-snap-hostile"
POINTS = "tiles-snap-points"
REAL = "tiles-snap-gemeinden"


def hostile_frame() -> gpd.GeoDataFrame:
    """Shapes that snapping to the tile grid could break, around the test centre (EPSG:25832)."""
    x, y = CENTRE
    ring = shapely.box(x + 100, y + 100, x + 120, y + 120)
    shapes = {
        "quadrat": shapely.box(x - 40, y - 40, x - 10, y - 10),
        "splitter": shapely.box(x, y - 60, x + 30, y - 59.95),  # 5 cm wide
        "loch am rand": shapely.Polygon(  # hole 10 cm from the shell
            ring.exterior.coords,
            [shapely.box(x + 100.1, y + 105, x + 110, y + 115).exterior.coords],
        ),
        "zwei teile": shapely.MultiPolygon(  # 30 cm apart
            [
                shapely.box(x + 50, y + 50, x + 70, y + 70),
                shapely.box(x + 70.3, y + 50, x + 90, y + 70),
            ]
        ),
        "kreis": shapely.Point(x - 80, y + 80).buffer(12, quad_segs=128),  # vertices 15 cm apart
        "zacken": shapely.Polygon(
            [(x - 100 + i * 0.2, y - 100 + (0.15 if i % 2 else 0)) for i in range(200)]
            + [(x - 60.2, y - 130), (x - 100, y - 130)]
        ),
        "winzig": shapely.box(x + 5, y + 5, x + 5.04, y + 5.04),
        "gross": shapely.box(x - 3000, y + 200, x + 3000, y + 260),  # across every tile edge
    }
    return gpd.GeoDataFrame(
        {"name": list(shapes), "nummer": range(len(shapes))},
        geometry=list(shapes.values()),
        crs="EPSG:25832",
    )


def _drop(engine: Engine, layer_id: str) -> None:
    with engine.begin() as conn:
        if conn.execute(
            text("SELECT 1 FROM buergergis.layer WHERE id = :i"), {"i": layer_id}
        ).first():
            lifecycle.delete(conn, layer_id, actor="test")
            lifecycle.purge(conn, layer_id)


@pytest.fixture(scope="module")
def hostile(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LayerRecord]:
    path = tmp_path_factory.mktemp("snap") / "hostile.gpkg"
    frame = hostile_frame()
    assert frame.geometry.is_valid.all()
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    attributes = (Attribute(name="name", type="text"), Attribute(name="nummer", type="integer"))
    definition = VectorLayer(
        id=HOSTILE, title="Schwierige Formen", source=Source(path=str(path)), attributes=attributes
    )
    try:
        load_layer(engine, settings, definition)
        with engine.connect() as conn:
            record = get_layer(conn, HOSTILE)
        assert record is not None
        yield record
    finally:
        _drop(engine, HOSTILE)


@pytest.fixture()
def pg(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url(), autocommit=True) as conn:
        yield conn


def features(data: bytes, layer_id: str) -> dict[int, dict[str, Any]]:
    tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return {f["id"]: f for f in tile.get(layer_id, {"features": []})["features"]}


def exact(record: LayerRecord) -> LayerRecord:
    """The same record as a version without stored clearance: ST_AsMVTGeom for every feature."""
    return dataclasses.replace(record, report={**record.report, "mvt_clearance": False})


def fast_gids(pg: psycopg.Connection, record: LayerRecord, query: vector.TileQuery) -> set[int]:
    """The features of the tile that take the fast path (the statement's own condition)."""
    sql = (
        f"SELECT gid FROM {data_table(record.data_table or '')} WHERE {CLEARANCE_COLUMN} >= %(min_clearance)s"  # noqa: S608
        " AND geom @ ST_MakeEnvelope(%(ix0)s, %(iy0)s, %(ix1)s, %(iy1)s, %(srid0)s)"
    )
    return {row[0] for row in pg.execute(sql, query.params)}


def compare(
    pg: psycopg.Connection, record: LayerRecord, tile: TileAddress
) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """Render the tile both ways; assert they show the same; return the features and fast ids."""
    fast_query = vector.build_query([record], tile)
    exact_query = vector.build_query([exact(record)], tile)
    assert "ST_SnapToGrid" in fast_query.sql and "ST_SnapToGrid" not in exact_query.sql
    fast = features(vector.render_mvt(pg, fast_query), record.id)
    full = features(vector.render_mvt(pg, exact_query), record.id)
    assert fast.keys() == full.keys() and fast
    for gid, feature in fast.items():
        a, b = shape(feature["geometry"]), shape(full[gid]["geometry"])
        assert feature["properties"] == full[gid]["properties"]
        assert a.geom_type.removeprefix("Multi") == b.geom_type.removeprefix("Multi")
        assert a.is_valid, (gid, feature["properties"])
        assert shapely.hausdorff_distance(a, b) <= 1.0, (gid, feature["properties"])
        assert abs(a.area - b.area) <= 0.01 * b.area + 4
        assert _exterior_ccw(a) == _exterior_ccw(b), "MVT ring orientation must not change"
    return fast, fast_gids(pg, record, fast_query)


def _exterior_ccw(geom: Any) -> list[bool]:
    polygons = getattr(geom, "geoms", [geom])
    return [bool(shapely.is_ccw(p.exterior)) for p in polygons]


def test_loader_stores_each_polygons_minimum_clearance(
    engine: Engine, settings: Settings, hostile: LayerRecord, tmp_path: Path
) -> None:
    assert hostile.report["mvt_clearance"] is True
    sql = (
        f"SELECT {CLEARANCE_COLUMN} AS stored, ST_MinimumClearance(geom) AS postgis"  # noqa: S608
        f" FROM {data_table(hostile.data_table or '')}"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    assert len(rows) == 8
    assert all(r.stored == pytest.approx(r.postgis, rel=1e-6) for r in rows)
    assert min(r.stored for r in rows) < 0.06  # the sliver
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(*CENTRE)], crs="EPSG:25832")
    frame.to_file(tmp_path / "p.gpkg", driver="GPKG", engine="pyogrio")
    try:
        load_layer(
            engine,
            settings,
            VectorLayer(id=POINTS, title="Punkte", source=Source(path=str(tmp_path / "p.gpkg"))),
        )
        with engine.connect() as conn:
            points = get_layer(conn, POINTS)
        assert points is not None and points.report["mvt_clearance"] is False
        assert not vector.uses_snap_path(points)
        assert "ST_SnapToGrid" not in vector.build_query([points], TileAddress(*tile_at(16))).sql
    finally:
        _drop(engine, POINTS)


def test_fast_clearance_equals_geos_on_random_polygons() -> None:
    rng = np.random.default_rng(7)
    shapes = []
    for _ in range(3000):  # star-shaped, convex or not, 3–15 vertices, 1 cm to 1 km
        n = int(rng.integers(3, 16))
        angles, radii = np.sort(rng.uniform(0, 2 * np.pi, n)), rng.uniform(0.2, 10, n)
        xy = np.c_[radii * np.cos(angles), radii * np.sin(angles)] * rng.uniform(0.001, 100)
        shapes.append(shapely.Polygon(xy + CENTRE))
    shapes += list(hostile_frame().geometry)  # holes, multi, many vertices: GEOS itself
    shapes.append(shapely.Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)]))  # repeated point
    geoms = np.array([g for g in shapes if g.is_valid], dtype=object)
    fast, geos = minimum_clearance(geoms), shapely.minimum_clearance(geoms)
    assert len(geoms) > 2500
    np.testing.assert_allclose(fast, geos, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("z", [14, 15, 16])
def test_fast_path_draws_what_st_asmvtgeom_draws(
    z: int, pg: psycopg.Connection, hostile: LayerRecord
) -> None:
    drawn, fast = compare(pg, hostile, TileAddress(*tile_at(z, centre_lonlat(10, 10))))
    names = {f["properties"]["name"]: gid for gid, f in drawn.items()}
    assert {"quadrat", "gross", "zwei teile", "loch am rand"} <= names.keys()
    assert names["quadrat"] in fast, "a plain parcel takes the fast path"
    for risky in ("splitter", "loch am rand", "gross"):  # too thin, or across the tile edge
        assert names.get(risky) not in fast, risky
    assert (names["zwei teile"] in fast) == (z == 16), (
        "30 cm apart: fast only where 30 cm > 2 units"
    )


def test_fast_path_is_left_out_where_geometry_is_simplified(hostile: LayerRecord) -> None:
    assert vector.simplify_tolerance(TileAddress(*tile_at(12))) > 0
    query = vector.build_query([hostile], TileAddress(*tile_at(12)))
    assert "ST_Simplify" in query.sql and "ST_SnapToGrid" not in query.sql


@pytest.mark.parametrize(
    ("layer", "fast_expected"), [("gemeinden_vg5000", False), ("dgm1_kachelindex_lgln", True)]
)
def test_fast_path_on_real_boundaries(
    layer: str,
    fast_expected: bool,
    shared_data: Path,
    engine: Engine,
    settings: Settings,
    pg: psycopg.Connection,
) -> None:
    """Official municipal boundaries (long, detailed rings) and the DGM1 tile index (1 km)."""
    source = Source(
        path=str(shared_data / "official/derived_hameln_pyrmont_25832.gpkg"), layer=layer
    )
    try:
        load_layer(engine, settings, VectorLayer(id=REAL, title="Amtliche Flächen", source=source))
        with engine.connect() as conn:
            record = get_layer(conn, REAL)
            assert record is not None
            # the first feature's first vertex: boundaries meet there, edges in every direction
            x, y = conn.execute(
                text(
                    f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointN(ST_ExteriorRing("  # noqa: S608
                    f"ST_GeometryN(geom, 1)), 1), 4326) AS p FROM {data_table(record.data_table or '')}"
                    " ORDER BY gid LIMIT 1) s"
                )
            ).one()
        fast_total = 0
        for z in (13, 14, 16):
            drawn, fast = compare(pg, record, TileAddress(*tile_at(z, (x, y))))
            fast_total += len(fast & drawn.keys())
        assert (fast_total > 0) == fast_expected
    finally:
        _drop(engine, REAL)
