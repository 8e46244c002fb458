"""Every file in ../shared/data/edge through ``buergergis import``: loaded right, or refused clearly.

Before each import the target layer holds a sentinel version; a refused import must leave it
live and unchanged, and a successful one must hold what an independent reader finds.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pyogrio
import pytest
import shapely
from sqlalchemy import Engine, text

from buergergis.settings import PROJECT_ROOT, Settings
from tests.ingest_helpers import layer_state, live_rows, run_cli

EDGE = PROJECT_ROOT.parent / "shared" / "data" / "edge"
VECTOR_SUFFIXES = {
    ".shp",
    ".zip",
    ".geojson",
    ".csv",
    ".gml",
    ".gpx",
    ".topojson",
    ".xsd",
    ".dbf",
    ".shx",
}


def _edge_files() -> list[str]:
    if not EDGE.is_dir():
        return ["<edge data missing>"]
    files = [
        p for p in sorted((EDGE / "shapefile").iterdir()) if p.suffix.lower() in {".shp", ".zip"}
    ]
    files += [p for p in sorted((EDGE / "vector").iterdir()) if p.suffix.lower() in VECTOR_SUFFIXES]
    return [str(p.relative_to(EDGE)) for p in files]


@pytest.fixture()
def sentinel(tmp_path: Path, settings: Settings, engine: Engine) -> str:
    """A live layer 'edge-target' with one known feature."""
    path = tmp_path / "sentinel.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Wächter"},
                        "geometry": {"type": "Point", "coordinates": [9.36, 52.1]},
                    }
                ],
            }
        )
    )
    assert run_cli(settings, "import", str(path), "--id", "edge-target").code == 0
    return "edge-target"


def _independent_count(path: Path) -> int | None:
    """Features with a non-empty geometry as GDAL sees them (None if GDAL can't say)."""
    target = f"/vsizip/{path}" if path.suffix == ".zip" else str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frame = pyogrio.read_dataframe(target, read_geometry=True)
        except Exception:
            return None
    geoms = frame.geometry.to_numpy()
    return int((~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)).sum())


@pytest.mark.parametrize("name", _edge_files())
def test_edge_file_is_loaded_or_refused_clearly(
    name: str, shared_data: Path, sentinel: str, settings: Settings, engine: Engine
) -> None:
    path = shared_data / "edge" / name
    before = layer_state(engine, sentinel)
    result = run_cli(settings, "import", str(path), "--id", sentinel)
    assert "Traceback" not in result.output
    if result.code != 0:
        assert len(result.output.strip()) > 15, "Ablehnung ohne verständliche Meldung"
        assert layer_state(engine, sentinel) == before
        assert live_rows(engine, sentinel, "name") == [("Wächter",)]
        return
    state = layer_state(engine, sentinel)
    assert state is not None and state[0] > before[0]  # type: ignore[index]
    with engine.connect() as conn:
        report = conn.execute(
            text("SELECT report FROM buergergis.layer WHERE id = :i"), {"i": sentinel}
        ).scalar_one()
    independent = _independent_count(path)
    if independent is not None:
        dropped = (
            sum(report["dropped"].values())
            - report["dropped"].get("ohne Geometrie", 0)
            - report["dropped"].get("leere Geometrie", 0)
        )
        assert state[1] == independent - dropped
    _assert_no_mojibake(engine, sentinel)


def _assert_no_mojibake(engine: Engine, layer_id: str) -> None:
    with engine.connect() as conn:
        cols = (
            conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema='layers' AND table_name=:t AND data_type='text'"
                ),
                {"t": layer_id},
            )
            .scalars()
            .all()
        )
    for col in cols:
        for (value,) in live_rows(engine, layer_id, f'"{col}"'):
            assert value is None or ("Ã" not in value and "\ufffd" not in value), (
                f"{col}: {value!r}"
            )


def test_latin1_without_cpg_reads_right(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    assert (
        run_cli(
            settings,
            "import",
            str(shared_data / "edge/shapefile/latin1-property.shp"),
            "--id",
            "latin1",
        ).code
        == 0
    )
    values = [v for row in live_rows(engine, "latin1", "name") for v in row]
    assert any(ch in "".join(values) for ch in "äöüéèàñç"), values


def test_multishapefile_zip_needs_a_choice(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    archive = str(shared_data / "edge/shapefile/blockgroups_multishapefile.zip")
    refused = run_cli(settings, "import", archive, "--id", "blockgroups")
    assert refused.code != 0 and "blockgroups2" in refused.output
    assert (
        run_cli(
            settings,
            "import",
            archive,
            "--id",
            "blockgroups",
            "--layer",
            "blockgroups2",
            "--crs",
            "EPSG:4326",
        ).code
        == 0
    )


def test_invalid_polygons_are_repaired_and_counted(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    archive = str(shared_data / "edge/shapefile/counties.zip")
    assert run_cli(settings, "import", archive, "--id", "counties").code != 0  # no .prj
    assert run_cli(settings, "import", archive, "--id", "counties", "--crs", "EPSG:4269").code == 0
    with engine.connect() as conn:
        report = conn.execute(
            text("SELECT report FROM buergergis.layer WHERE id='counties'")
        ).scalar_one()
        valid = conn.execute(
            text('SELECT bool_and(ST_IsValid(geom)) FROM layers."counties"')
        ).scalar_one()
    assert report["repaired"] > 0 and valid is True


def test_zero_length_line_is_dropped_with_reason(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    assert (
        run_cli(
            settings,
            "import",
            str(shared_data / "edge/shapefile/zero-len-line.zip"),
            "--id",
            "zero-len",
        ).code
        == 0
    )
    with engine.connect() as conn:
        report = conn.execute(
            text("SELECT report FROM buergergis.layer WHERE id='zero-len'")
        ).scalar_one()
    assert report["written"] == 2 and sum(report["dropped"].values()) == 1, report


def test_degenerate_line_in_geojson_is_dropped_with_reason(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    lines = [[[9.35, 52.1], [9.36, 52.11]], [[9.35, 52.1], [9.35, 52.1]]]
    path = tmp_path / "linien.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"n": i},
                        "geometry": {"type": "LineString", "coordinates": c},
                    }
                    for i, c in enumerate(lines)
                ],
            }
        )
    )
    assert run_cli(settings, "import", str(path), "--id", "linien").code == 0
    with engine.connect() as conn:
        report = conn.execute(
            text("SELECT report FROM buergergis.layer WHERE id='linien'")
        ).scalar_one()
    assert report["written"] == 1 and any("Länge 0" in r for r in report["dropped"]), report


def test_file_geodatabase_layer_is_chosen_by_name(
    shared_data: Path, settings: Settings, engine: Engine
) -> None:
    archive = str(shared_data / "edge/vector/testopenfilegdb.gdb.zip")
    refused = run_cli(settings, "import", archive, "--id", "fgdb")
    assert refused.code != 0 and "mehrere Layer" in refused.output and "polygon" in refused.output
    assert run_cli(settings, "import", archive, "--id", "fgdb", "--layer", "polygon").code == 0
    assert layer_state(engine, "fgdb") is not None
