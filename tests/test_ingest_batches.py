"""Loads read their source in batches: what needs the whole dataset still holds across batches.

A batch size of 4 (``BUERGERGIS_LOAD_BATCH``) splits these small sources into several batches.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, text

from buergergis.catalog.models import Source, VectorLayer
from buergergis.errors import LoadError
from buergergis.ingest.extent import ExtentTally, city_share
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from tests.ingest_helpers import layer_state, live_rows, run_cli

X0, Y0 = 525_000.0, 5_773_000.0


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUERGERGIS_LOAD_BATCH", "4")


def _boxes(n: int) -> list[shapely.Geometry]:
    return [shapely.box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(n)]


def _write(path: Path, geoms: list, **columns: list) -> Path:
    frame = gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:25832")
    frame.to_file(path, engine="pyogrio")
    return path


def _definition(layer_id: str, path: Path, id_column: str | None = None) -> VectorLayer:
    return VectorLayer(
        id=layer_id, title=layer_id, source=Source(path=str(path)), id_column=id_column
    )


def _catalog(engine: Engine, layer_id: str) -> tuple:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT report, geometry_type, feature_count FROM buergergis.layer WHERE id = :i"),
            {"i": layer_id},
        ).one()


def test_repair_and_drops_in_a_later_batch_turn_the_layer_multi(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    geoms = _boxes(11)
    # Batch 1 (features 0–3) is written as Polygon; batch 2 holds a bow tie that repairs into a
    # MultiPolygon, an empty geometry and a point; batch 3 a missing geometry.
    geoms[5] = shapely.Polygon(
        [(X0, Y0 + 50), (X0 + 10, Y0 + 60), (X0 + 10, Y0 + 50), (X0, Y0 + 60), (X0, Y0 + 50)]
    )
    geoms[6] = shapely.Polygon()
    geoms[7] = shapely.Point(X0, Y0)
    geoms[9] = None
    path = _write(tmp_path / "spaet.gpkg", geoms, name=[f"F{i}" for i in range(11)])
    result = load_layer(engine, settings, _definition("spaet-repariert", path))
    report, gtype, count = _catalog(engine, "spaet-repariert")
    assert (result.report.read, result.report.written, count) == (11, 8, 8)
    assert report["repaired"] == 1
    assert report["dropped"] == {
        "leere Geometrie": 1,
        "anderer Geometrietyp als Polygon": 1,
        "ohne Geometrie": 1,
    }
    assert gtype == "MultiPolygon"
    rows = live_rows(engine, "spaet-repariert", "name, GeometryType(geom), ST_IsValid(geom)")
    assert [r[0] for r in rows] == ["F0", "F1", "F2", "F3", "F4", "F5", "F8", "F10"]
    assert {(r[1], r[2]) for r in rows} == {("MULTIPOLYGON", True)}


def test_single_polygons_stay_single_across_batches(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    path = _write(tmp_path / "einfach.gpkg", _boxes(9), n=list(range(9)))
    load_layer(engine, settings, _definition("einfach", path))
    _, gtype, count = _catalog(engine, "einfach")
    assert (gtype, count) == ("Polygon", 9)
    assert live_rows(engine, "einfach", "gid, n") == [(i + 1, i) for i in range(9)]


def test_mixed_polygon_and_multipolygon_across_batches(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    geoms = _boxes(10)
    geoms[9] = shapely.MultiPolygon([geoms[9], shapely.box(X0, Y0 + 100, X0 + 5, Y0 + 105)])
    path = _write(tmp_path / "gemischt.gpkg", geoms, n=list(range(10)))
    load_layer(engine, settings, _definition("gemischt", path))
    _, gtype, count = _catalog(engine, "gemischt")
    assert (gtype, count) == ("MultiPolygon", 10)
    parts = live_rows(engine, "gemischt", "GeometryType(geom), ST_NumGeometries(geom)")
    assert parts == [("MULTIPOLYGON", 1)] * 9 + [("MULTIPOLYGON", 2)]


def test_duplicate_id_in_a_later_batch_is_refused_and_old_version_stays(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    ok = _write(tmp_path / "ok.gpkg", _boxes(3), nr=["a", "b", "c"])
    load_layer(engine, settings, _definition("doppelt", ok, "nr"))
    before = layer_state(engine, "doppelt")
    ids = [f"id{i}" for i in range(10)]
    ids[8] = "id1"  # batch 3 repeats an id of batch 1
    bad = _write(tmp_path / "doppelt.gpkg", _boxes(10), nr=ids)
    with pytest.raises(LoadError, match="nicht eindeutig.*'id1' mehrfach"):
        load_layer(engine, settings, _definition("doppelt", bad, "nr"))
    assert layer_state(engine, "doppelt") == before
    assert live_rows(engine, "doppelt") == [("a",), ("b",), ("c",)]
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'layerdata'"
                " AND tablename LIKE 'doppelt\\_\\_v%'"
            )
        ).scalar_one()
    assert tables == 1


def test_missing_ids_are_counted_over_all_batches(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    ids: list[str | None] = [f"id{i}" for i in range(10)]
    ids[1], ids[9] = None, None
    path = _write(tmp_path / "ohne_id.gpkg", _boxes(10), nr=ids)
    with pytest.raises(LoadError, match="2 Objekte ohne ID"):
        load_layer(engine, settings, _definition("ohne-id", path, "nr"))
    assert layer_state(engine, "ohne-id") is None


def test_negative_integer_id_in_a_later_batch_renumbers_gid(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    ids = [100 + i for i in range(10)]
    ids[7] = -5  # batches 1 and 2 used the ids as gid; batch 2 ends that
    path = _write(tmp_path / "negativ.gpkg", _boxes(10), nr=ids)
    load_layer(engine, settings, _definition("negativ", path, "nr"))
    rows = live_rows(engine, "negativ", "gid, fid")
    assert rows == [(i + 1, str(v)) for i, v in enumerate(ids)]


def test_non_negative_integer_ids_are_the_gid(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    ids = [100 + 3 * i for i in range(10)]
    path = _write(tmp_path / "positiv.gpkg", _boxes(10), nr=ids)
    load_layer(engine, settings, _definition("positiv", path, "nr"))
    assert live_rows(engine, "positiv", "gid, fid") == [(v, str(v)) for v in ids]


def test_encoding_detected_from_a_later_batch(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    names = ["Hameln"] * 11 + ["Bad Münder am Deister"]
    path = tmp_path / "spaet_kodiert.shp"
    frame = gpd.GeoDataFrame({"gen": names}, geometry=_boxes(12), crs="EPSG:25832")
    frame.to_file(path, engine="pyogrio", encoding="cp1252")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # no code page byte: the encoding must be detected from the records
    dbf.write_bytes(bytes(data))
    result = run_cli(settings, "import", str(path), "--id", "spaet-kodiert")
    assert result.code == 0, result.output
    report, _, count = _catalog(engine, "spaet-kodiert")
    assert (report["encoding"], report["encoding_source"], count) == ("cp1252", "erkannt", 12)
    assert live_rows(engine, "spaet-kodiert", "gen")[-1] == ("Bad Münder am Deister",)


def test_city_share_over_batches_equals_the_whole() -> None:
    rng = np.random.default_rng(1)
    points = shapely.points(rng.uniform(9.0, 9.8, 50), rng.uniform(51.9, 52.3, 50))
    extent = (9.25, 52.0, 9.5, 52.2)
    tally = ExtentTally(4326, extent)
    for part in np.array_split(points, 7):
        tally.add(part)
    tally.add(np.array([None, shapely.Point()], dtype=object))
    whole = city_share(points, 4326, extent)
    assert (tally.result().count, tally.result().share) == (whole.count, whole.share)
    assert 0 < whole.share < 1


def test_prepare_reads_only_the_first_features_when_limited(
    tmp_path: Path, settings: Settings
) -> None:
    from buergergis.ingest.pipeline import prepare_vector
    from buergergis.ingest.report import LoadReport

    path = _write(tmp_path / "vorschau.gpkg", _boxes(10), nr=list(range(10)))
    report = LoadReport(layer_id="vorschau")
    prepared = prepare_vector(_definition("vorschau", path), settings, tmp_path, report, limit=5)
    assert (report.read, len(prepared.gids)) == (5, 5)
    assert prepared.columns.values["nr"] == [0, 1, 2, 3, 4]
    whole = prepare_vector(_definition("vorschau", path), settings, tmp_path, LoadReport("v"))
    assert list(whole.fids) == [str(i) for i in range(1, 11)]
