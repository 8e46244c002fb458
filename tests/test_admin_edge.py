"""Every file in ``../shared/data/edge/{shapefile,vector}`` through the upload API.

Each one is either accepted with the right content (count and sample values in the live
table) or refused at upload, preview or publish with a 4xx and a clear German message.
Loose Shapefile parts are zipped by name, as a person would upload them. A new edge file
without an expectation here fails the test, so it gets looked at.
"""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.catalog.models import slugify
from tests.admin_support import Staff, editor, upload, zip_files  # noqa: F401 - fixtures
from tests.conftest import SHARED_DATA

SHAPE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg"}

#: name → ("ok", features, texts that must appear in the published rows) or ("refused", message)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "shapefile/boolean-property.zip": ("ok", 9, ["True"]),
    "shapefile/codepage.zip": ("ok", 2, ["Hněvošický háj"]),
    "shapefile/corrupt_too_long.zip": ("refused", "nicht lesbar"),
    "shapefile/date-property.zip": ("ok", 3, ["2013-01-02"]),
    "shapefile/empty.zip": ("refused", "keine Objekte"),
    "shapefile/export_multipointz.zip": ("ok", 1, ["multipoint_value"]),
    "shapefile/export_polylinez.zip": ("ok", 1, ["polyline_value"]),
    "shapefile/htmlcpg.zip": ("refused", "fehlt: .shx"),
    "shapefile/htmlprj.zip": ("refused", "fehlt: .shx"),
    "shapefile/latin1-property.zip": ("ok", 1, ["México"]),
    "shapefile/multipointm.zip": ("refused", "fehlt: .shx, .dbf"),
    "shapefile/null.zip": ("ok", 5, []),
    "shapefile/pointm.zip": ("refused", "fehlt: .shx, .dbf"),
    "shapefile/polygonm.zip": ("refused", "fehlt: .shx, .dbf"),
    "shapefile/polylinem.zip": ("refused", "fehlt: .shx, .dbf"),
    "shapefile/pyshp_latin1.zip": ("refused", "fehlt: .shx"),
    "shapefile/blockgroups_multishapefile.zip": ("ok", None, []),
    "shapefile/counties.zip": ("ok", 14, ["MIDDLESEX"]),
    "shapefile/empty_zipfile.zip": ("refused", "Keine lesbaren Geodaten"),
    "shapefile/no-dbf.zip": ("refused", "fehlt: .shx, .dbf"),
    "shapefile/noshp.zip": ("refused", ".shp-Datei des Shapefiles fehlt"),
    "shapefile/senate.zip": ("ok", 40, ["First Worcester"]),
    "shapefile/train_stations.zip": ("ok", 361, ["ASHLAND"]),
    "shapefile/zero-len-line.zip": ("ok", 2, ["El Paso Natural Gas Co"]),
    "vector/!test.geojson": ("ok", 1, ["Grenada"]),
    "vector/curves_line.csv": ("refused", "Kurvengeometrien"),
    "vector/example.topojson": ("refused", "nicht angenommen"),
    "vector/multicurve.gml": ("refused", "nicht angenommen"),
    "vector/multicurve.xsd": ("refused", "nicht angenommen"),
    "vector/test_gpx.gpx": ("refused", "nicht angenommen"),
    "vector/test_tin.csv": ("refused", "TIN"),
    "vector/test_tin.zip": ("refused", "TIN"),
    "vector/testopenfilegdb.gdb.zip": ("refused", "FileGDB"),
}


def edge_items() -> list[tuple[str, Path, tuple[Path, ...]]]:
    """(name, upload name, files) per upload: loose Shapefile parts grouped and zipped."""
    items: dict[str, tuple[Path, ...]] = {}
    for folder in ("shapefile", "vector"):
        base = SHARED_DATA / "edge" / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.suffix.lower() in SHAPE_PARTS:
                key = f"{folder}/{path.stem}.zip"
                items[key] = (*items.get(key, ()), path)
            else:
                items[f"{folder}/{path.name}"] = (path,)
    return [(k, Path(k), v) for k, v in sorted(items.items())]


ITEMS = edge_items()


def test_every_edge_file_has_an_expectation(shared_data: Path) -> None:
    assert len(ITEMS) >= 30
    assert sorted(k for k, _, _ in ITEMS) == sorted(EXPECTED)


def _content(files: tuple[Path, ...], name: Path) -> bytes:
    if len(files) == 1 and files[0].name == name.name:
        return files[0].read_bytes()
    return zip_files(files)


def _refusal(response: Any) -> str | None:
    if 400 <= response.status_code < 500:
        description: str = response.get_json()["description"]
        return description
    assert response.status_code < 400, response.get_data(as_text=True)
    return None


def _try(client: FlaskClient, staff: Staff, name: Path, data: bytes) -> tuple[str | None, Any]:
    """Upload, preview and publish; returns (refusal message, publish body)."""
    created = upload(client, staff, data, name.name)
    if (message := _refusal(created)) is not None:
        return message, None
    body = created.get_json()
    dataset = body["datasets"][0]
    preview = client.get(
        body["links"]["preview"] + f"?dataset={dataset['key']}", headers=staff.bearer
    )
    if (message := _refusal(preview)) is not None:
        return message, None
    crs = preview.get_json()["crs"]
    layer_id = "edge-" + slugify(name.stem)[:30]
    published = client.post(
        body["links"]["publish"],
        headers=staff.bearer,
        json={"id": layer_id, "title": name.name, "dataset": dataset["key"], "crs": crs["used"]},
    )
    if (message := _refusal(published)) is not None:
        return message, None
    return None, published.get_json() | {"expected_features": dataset["features"]}


@pytest.mark.parametrize(("key", "name", "files"), ITEMS, ids=[i[0] for i in ITEMS])
def test_edge_file(
    key: str,
    name: Path,
    files: tuple[Path, ...],
    client: FlaskClient,
    editor: Staff,
    engine: Engine,
) -> None:
    expected = EXPECTED[key]
    message, result = _try(client, editor, name, _content(files, name))
    if expected[0] == "refused":
        assert message is not None, f"{key} wurde angenommen"
        assert expected[1] in message
        assert "Traceback" not in message and "/work/" not in message
        return
    assert message is None, f"{key} abgelehnt: {message}"
    count = expected[1] if expected[1] is not None else result["expected_features"]
    assert result["counts"]["written"] == count
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(f'SELECT row_to_json(t)::text FROM layers."{result["layer"]}" t')  # noqa: S608
            )
            .scalars()
            .all()
        )
    assert len(rows) == count
    joined = "\n".join(rows)
    for value in expected[2]:
        assert value in joined
