"""The load pipeline against a real PostGIS: encoding, CRS, geometry, atomic versions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer
from pyproj.transformer import TransformerGroup
from sqlalchemy import Engine, text

from buergergis.settings import Settings
from tests.conftest import require
from tests.ingest_helpers import layer_state, live_rows, run_cli

ENCODING_FILES = ["gem_cp1252_with_cpg.shp", "gem_cp1252_no_cpg.shp", "gem_utf8_no_cpg.shp"]
BETA2007 = (
    "+proj=pipeline +step +inv +proj=tmerc +lat_0=0 +lon_0=9 +k=1 +x_0=3500000 +y_0=0 +ellps=bessel"
    " +step +proj=hgridshift +grids=de_adv_BETA2007.tif +step +proj=utm +zone=32 +ellps=GRS80"
)


@pytest.mark.parametrize("name", ENCODING_FILES)
def test_official_encoding_files_keep_umlauts(
    name: str, shared_data: Path, settings: Settings, engine: Engine
) -> None:
    layer_id = "enc-" + name.split(".")[0].replace("_", "-")
    result = run_cli(
        settings, "import", str(shared_data / "official" / "encoding" / name), "--id", layer_id
    )
    assert result.code == 0, result.output
    names = {row[0] for row in live_rows(engine, layer_id, "gen")}
    assert {"Bad Münder am Deister", "Coppenbrügge", "Hameln"} <= names
    assert not any("Ã" in n or "\ufffd" in n for n in names)


def test_cpg_with_other_letter_case_is_honoured(
    shared_data: Path, tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    src = shared_data / "official" / "encoding"
    for part in ("shp", "shx", "dbf", "prj"):
        shutil.copy(src / f"gem_utf8_no_cpg.{part}", tmp_path / f"GEM.{part}")
    (tmp_path / "Gem.CPG").write_text("UTF-8")
    assert run_cli(settings, "import", str(tmp_path / "GEM.shp"), "--id", "enc-case").code == 0
    assert "Bad Münder am Deister" in {r[0] for r in live_rows(engine, "enc-case", "gen")}


def test_encoding_override_wins(shared_data: Path, settings: Settings, engine: Engine) -> None:
    path = shared_data / "official" / "encoding" / "gem_utf8_no_cpg.shp"
    assert (
        run_cli(settings, "import", str(path), "--id", "enc-override", "--encoding", "cp1252").code
        == 0
    )
    assert "Bad MÃ¼nder am Deister" in {r[0] for r in live_rows(engine, "enc-override", "gen")}


def test_hameln_from_gauss_krueger_matches_beta2007(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    group = TransformerGroup("EPSG:31467", "EPSG:25832", always_xy=True)
    require(
        any("(8)" in t.description for t in group.transformers),
        "BeTA2007-Gitter fehlt (make grids)",
    )
    archive = shared_data / "official" / "vg5000_0101_gk3_bkg.zip"
    result = run_cli(
        settings, "import", str(archive), "--id", "vg5000-gem", "--layer", "VG5000_GEM"
    )
    assert result.code == 0, result.output
    with engine.connect() as conn:
        stored = conn.execute(
            text('SELECT ST_AsBinary(geom) FROM layers."vg5000-gem" WHERE ags = :a'),
            {"a": "03252006"},
        ).scalar_one()
    source = pyogrio.read_dataframe(f"/vsizip/{archive}/VG5000_GEM.shp", where="AGS = '03252006'")
    expected = shapely.transform(source.geometry.iloc[0], _beta2007)
    ours = shapely.get_coordinates(shapely.from_wkb(stored))
    theirs = shapely.get_coordinates(shapely.force_2d(expected))
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 0.1
    helmert = next(t for t in group.transformers if "(2)" in t.description)
    hx, hy = helmert.transform(*shapely.get_coordinates(source.geometry.iloc[0]).T)
    assert np.hypot(hx - theirs[:, 0], hy - theirs[:, 1]).min() > 0.1, (
        "Test muss Gitter von Helmert unterscheiden"
    )


def _beta2007(coords: np.ndarray) -> np.ndarray:
    t = Transformer.from_pipeline(BETA2007)
    x, y = t.transform(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def test_missing_crs_is_refused_unless_given(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    frame = gpd.GeoDataFrame({"name": ["Rattenfänger"]}, geometry=[shapely.Point(525000, 5773000)])
    path = tmp_path / "ohne_crs.shp"
    frame.to_file(path, engine="pyogrio")
    result = run_cli(settings, "import", str(path), "--id", "ohne-crs")
    assert result.code != 0 and "Koordinatenreferenzsystem" in result.output
    assert layer_state(engine, "ohne-crs") is None
    assert (
        run_cli(settings, "import", str(path), "--id", "ohne-crs", "--crs", "EPSG:25832").code == 0
    )
    assert live_rows(engine, "ohne-crs", "name, ST_X(geom)::int") == [("Rattenfänger", 525000)]


def test_geometry_repair_drop_promote_and_z(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    multi = shapely.MultiPolygon([shapely.box(20, 20, 30, 30), shapely.box(40, 40, 50, 50)])
    z_poly = shapely.Polygon([(60, 60, 5), (70, 60, 5), (70, 70, 5), (60, 60, 5)])
    frame = gpd.GeoDataFrame(
        {"name": ["Schleife", "Mehrteilig", "Mit Z", "Leer", "Punkt"]},
        geometry=[bowtie, multi, z_poly, None, shapely.Point(1, 1)],
        crs="EPSG:25832",
    )
    frame = frame.set_geometry(
        gpd.GeoSeries(frame.geometry.to_numpy(), crs="EPSG:25832").translate(525000, 5773000)
    )
    path = tmp_path / "geoms.gpkg"
    frame.to_file(path, engine="pyogrio")
    result = run_cli(settings, "import", str(path), "--id", "geoms")
    assert result.code == 0, result.output
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT report, geometry_type FROM buergergis.layer WHERE id = 'geoms'")
        ).one()
        types = conn.execute(
            text(
                'SELECT DISTINCT GeometryType(geom), bool_and(ST_IsValid(geom)), max(ST_NDims(geom)) FROM layers."geoms" GROUP BY 1'
            )
        ).all()
    assert row.geometry_type == "MultiPolygon" and types == [("MULTIPOLYGON", True, 2)]
    assert row.report["repaired"] == 1 and row.report["written"] == 3
    assert row.report["dropped"] == {"ohne Geometrie": 1, "anderer Geometrietyp als Polygon": 1}
    assert any("Z-" in n for n in row.report["notes"])


def test_csv_with_german_number_format(tmp_path: Path, settings: Settings, engine: Engine) -> None:
    path = tmp_path / "stellen.csv"
    path.write_bytes(
        "titel;rechtswert;hochwert;gehalt\nSachbearbeitung Bürgeramt;525000,5;5773000,25;3.500\n".encode(
            "cp1252"
        )
    )
    result = run_cli(settings, "import", str(path), "--id", "csv-de", "--crs", "EPSG:25832")
    assert result.code == 0, result.output
    assert live_rows(engine, "csv-de", "titel, ST_X(geom), ST_Y(geom)") == [
        ("Sachbearbeitung Bürgeramt", 525000.5, 5773000.25)
    ]


def test_versions_are_monotonic_and_old_versions_pruned(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    path = tmp_path / "punkte.geojson"
    seen = []
    for n in range(settings.keep_versions + 2):
        _points(path, n + 1)
        assert run_cli(settings, "import", str(path), "--id", "punkte").code == 0
        seen.append(layer_state(engine, "punkte"))
    versions = [s[0] for s in seen if s]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert [s[1] for s in seen if s] == list(range(1, settings.keep_versions + 3))
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT count(*) FROM buergergis.layer_version WHERE layer_id='punkte' AND kept")
        ).scalar_one()
        tables = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname='layerdata' AND tablename LIKE 'punkte\\_\\_v%'"
            )
        ).scalar_one()
    assert kept == tables == settings.keep_versions


def _points(path: Path, n: int) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"nr": i, "name": f"Punkt {i}"},
            "geometry": {"type": "Point", "coordinates": [9.35 + i / 1000, 52.1]},
        }
        for i in range(n)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def test_load_report_and_catalog(tmp_path: Path, settings: Settings, engine: Engine) -> None:
    path = tmp_path / "ladebericht.geojson"
    _points(path, 3)
    result = run_cli(settings, "import", str(path), "--id", "ladebericht", "--private")
    assert result.code == 0 and "3 gelesen, 3 geschrieben" in result.output
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM buergergis.layer WHERE id = 'ladebericht'")).one()
    assert row.public is False and row.origin == "import" and row.feature_count == 3
    assert (
        row.bbox[0] <= 9.35 and row.bbox[1] <= 52.1 and row.bbox[2] >= 9.352 and row.bbox[3] >= 52.1
    )
    assert row.bbox[0] == pytest.approx(9.35, abs=1e-4) and row.bbox[1] == pytest.approx(
        52.1, abs=1e-4
    )
    assert len(row.source_checksum) == 64 and row.loaded_at is not None
    assert {a["name"] for a in row.definition["attributes"]} == {"nr", "name"}
