"""The Upload-Doktor: encoding, CRS suggestion and plausibility, geometry report, rows, diff."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.catalog.models import Source, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    editor,
    geojson_bytes,
    login_session,
    point,
    publish,
    shapefile_zip,
    upload,
    upload_and_publish,
    zip_files,
)

HAMELN = (9.3561, 52.1036)


def preview(client: FlaskClient, staff: Staff, data: bytes, name: str, query: str = "") -> Any:
    body = upload(client, staff, data, name).get_json()
    response = client.get(body["links"]["preview"] + query, headers=staff.bearer)
    return body, response


def test_cp1252_without_cpg_is_read_right(
    client: FlaskClient, editor: Staff, shared_data: Path
) -> None:
    data = shapefile_zip(shared_data, "gem_cp1252_no_cpg", "official", "encoding")
    _, response = preview(client, editor, data, "gem.zip")
    body = response.get_json()
    assert body["encoding"]["codec"] == "cp1252"
    assert body["encoding"]["source"] == "erkannt"
    assert "Bad Münder am Deister" in body["encoding"]["samples"]
    assert not body["encoding"]["suspicious"]
    assert body["feature_count"] == 8
    assert body["crs"] == {
        "detected": "EPSG:25832",
        "used": "EPSG:25832",
        "suggested": [],
        "in_area_share": 1.0,
        "status": "ok",
        "message": "100% der Objekte liegen im Raum Hameln – plausibel.",
    }
    assert ["2", "03252002", "Bad Münder am Deister", "Stadt"] in body["rows"]
    names = [f["properties"]["GEN"] for f in body["features"]["features"]]
    assert "Coppenbrügge" in names


def test_encoding_override(client: FlaskClient, editor: Staff, shared_data: Path) -> None:
    data = shapefile_zip(shared_data, "gem_utf8_no_cpg", "official", "encoding")
    upload_body, detected = preview(client, editor, data, "gem.zip")
    assert detected.get_json()["encoding"]["codec"] == "utf-8"
    assert "Bad Münder am Deister" in detected.get_json()["encoding"]["samples"]
    wrong = client.get(upload_body["links"]["preview"] + "?encoding=cp1252", headers=editor.bearer)
    body = wrong.get_json()
    assert body["encoding"]["source"] == "vorgegeben"
    assert "Bad MÃ¼nder am Deister" in body["encoding"]["samples"]
    assert body["encoding"]["suspicious"]
    assert any("falsch kodiert" in w for w in body["warnings"])
    unknown = client.get(
        upload_body["links"]["preview"] + "?encoding=klingonisch", headers=editor.bearer
    )
    assert unknown.status_code == 400
    assert "Unbekannte Zeichenkodierung" in unknown.get_json()["description"]


def _without_prj(shared: Path, tmp_path: Path, epsg: int) -> bytes:
    frame = gpd.read_file(shared / "official" / "encoding" / "gem_utf8_no_cpg.shp")
    out = tmp_path / f"gem{epsg}.shp"
    frame.to_crs(epsg).to_file(out, encoding="utf-8")
    out.with_suffix(".prj").unlink()
    return zip_files(sorted(tmp_path.glob(f"gem{epsg}.*")))


def test_missing_prj_suggests_crs_from_ranges(
    client: FlaskClient, editor: Staff, shared_data: Path, tmp_path: Path
) -> None:
    for epsg in (25832, 31467, 4326):
        upload_body, response = preview(
            client, editor, _without_prj(shared_data, tmp_path, epsg), "g.zip"
        )
        body = response.get_json()
        assert body["crs"]["detected"] is None
        assert body["crs"]["suggested"][0] == f"EPSG:{epsg}"
        assert body["crs"]["used"] == f"EPSG:{epsg}"
        assert body["crs"]["status"] == "ok"
        assert any("Vorschlag" in w for w in body["warnings"])
    refused = publish(client, editor, upload_body["id"], "ohne-prj")
    assert refused.status_code == 422
    assert "EPSG:4326" in refused.get_json()["description"]
    accepted = publish(client, editor, upload_body["id"], "ohne-prj", crs="EPSG:4326")
    assert accepted.status_code == 201, accepted.get_json()


def test_wrong_crs_is_implausible(client: FlaskClient, editor: Staff, shared_data: Path) -> None:
    data = shapefile_zip(shared_data, "gem_cp1252_with_cpg", "official", "encoding")
    _, response = preview(client, editor, data, "g.zip", "?crs=EPSG:31467")
    body = response.get_json()
    assert body["crs"]["detected"] == "EPSG:25832"
    assert body["crs"]["used"] == "EPSG:31467"
    assert body["crs"]["status"] == "fail"
    assert any("Koordinatenreferenzsystem" in w for w in body["warnings"])
    bad = client.get(
        upload(client, editor, data, "g.zip").get_json()["links"]["preview"] + "?crs=EPSG:99999",
        headers=editor.bearer,
    )
    assert bad.status_code == 400


def test_geometry_report(client: FlaskClient, editor: Staff) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[9.35, 52.10], [9.36, 52.11], [9.36, 52.10], [9.35, 52.11], [9.35, 52.10]]
        ],
    }
    features = [
        {"type": "Feature", "properties": {"n": "Schleife"}, "geometry": bowtie},
        {"type": "Feature", "properties": {"n": "ohne"}, "geometry": None},
        *[
            {
                "type": "Feature",
                "properties": {"n": f"Feld {i}"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [9.3 + i / 100, 52.1],
                            [9.31 + i / 100, 52.1],
                            [9.31 + i / 100, 52.11],
                            [9.3 + i / 100, 52.1],
                        ]
                    ],
                },
            }
            for i in range(25)
        ],
    ]
    _, response = preview(client, editor, geojson_bytes(features), "flaechen.geojson")
    body = response.get_json()
    assert body["geometry"]["read"] == 27
    assert body["geometry"]["repaired"] == 1
    assert body["geometry"]["dropped"] == {"ohne Geometrie": 1}
    assert body["feature_count"] == 26
    assert body["geometry_type"] == "MultiPolygon"
    assert len(body["rows"]) == 20
    assert body["encoding"]["applies"] is False


def _features(spec: dict[int, tuple[str, float]], extra: bool = False) -> bytes:
    out = []
    for nr, (name, dx) in spec.items():
        props: dict[str, Any] = {"nr": nr, "name": name}
        if extra:
            props["neu"] = "ja"
        out.append(point(HAMELN[0] + nr / 1000 + dx, HAMELN[1], **props))
    return geojson_bytes(out)


def test_diff_against_live_layer(client: FlaskClient, editor: Staff) -> None:
    old = {1: ("Eins", 0.0), 2: ("Zwei", 0.0), 3: ("Drei", 0.0), 4: ("Vier", 0.0), 5: ("Fünf", 0.0)}
    upload_and_publish(client, editor, _features(old), "alt.geojson", "diff-test", id_column="nr")
    new = {
        1: ("Eins", 0.0),
        2: ("Zwei neu", 0.0),
        3: ("Drei", 0.01),
        5: ("Fünf", 0.0),
        6: ("Sechs", 0.0),
    }
    _, response = preview(
        client, editor, _features(new, extra=True), "neu.geojson", "?target=diff-test"
    )
    diff = response.get_json()["diff"]
    assert diff["live_count"] == 5 and diff["new_count"] == 5
    assert (diff["added"], diff["removed"], diff["changed"], diff["unchanged"]) == (1, 1, 2, 2)
    assert diff["examples"] == {"added": ["6"], "removed": ["4"], "changed": ["2", "3"]}
    assert diff["columns_added"] == ["neu"]
    same = preview(client, editor, _features(old), "alt.geojson", "?target=diff-test")[1].get_json()
    assert same["diff"]["unchanged"] == 5 and same["diff"]["changed"] == 0


def test_yaml_layers_cannot_be_replaced(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings, shared_data: Path
) -> None:
    path = shared_data / "official" / "derived_hameln_pyrmont_gemeinden_4326.geojson"
    definition = VectorLayer(id="aus-yaml", title="Aus YAML", source=Source(path=str(path)))
    load_layer(engine, settings, definition)
    data = path.read_bytes()
    _, response = preview(client, editor, data, "g.geojson", "?target=aus-yaml")
    assert response.status_code == 400
    assert "layers/aus-yaml.yaml" in response.get_json()["description"]
    _, missing = preview(client, editor, data, "g.geojson", "?target=gibt-es-nicht")
    assert missing.status_code == 404


def test_doctor_page(client: FlaskClient, editor: Staff, shared_data: Path) -> None:
    data = shapefile_zip(shared_data, "gem_cp1252_no_cpg", "official", "encoding")
    body = upload(client, editor, data, "gemeinden.zip").get_json()
    page = login_session(client, editor).get(body["links"]["page"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Bad Münder am Deister" in html
    assert 'data-testid="count">8<' in html
    assert "cp1252" in html and "EPSG:25832" in html
    assert 'id="preview-data"' in html
    assert "Content-Security-Policy" in page.headers
    assert page.headers["Cache-Control"] == "no-store"


def test_doctor_page_asks_for_choices(
    client: FlaskClient, editor: Staff, shared_data: Path
) -> None:
    login_session(client, editor)
    data = (shared_data / "edge" / "shapefile" / "blockgroups_multishapefile.zip").read_bytes()
    several = upload(client, editor, data, "bg.zip").get_json()
    page = client.get(several["links"]["page"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "– bitte wählen –" in html and "blockgroups2.shp" in html
    assert 'id="preview-data"' not in html
    rows = "Name;Rechts;Hoch\nRathaus;533987;5773321\n"
    csv_upload = upload(client, editor, rows.encode(), "orte.csv").get_json()
    unpicked = client.get(csv_upload["links"]["page"])
    html = unpicked.get_data(as_text=True)
    assert unpicked.status_code == 422
    assert "Koordinatenspalten" in html
    assert 'id="opt-x"' in html and "<option>Rechts</option>" in html
    picked = client.get(csv_upload["links"]["page"] + "?x=Rechts&y=Hoch")
    assert picked.status_code == 200
    assert 'data-testid="count">1<' in picked.get_data(as_text=True)
