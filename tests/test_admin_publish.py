"""Publish, replace, roll back, export, audit; restarts, `load --all`, caches and validators."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis import create_app
from buergergis.catalog.models import RasterLayer, Source
from buergergis.catalog.parse import parse_definition
from buergergis.cli import cli
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store import audit
from buergergis.store.catalog import get_layer
from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    editor,
    geojson_bytes,
    point,
    publish,
    replace,
    upload,
    upload_and_publish,
)

HAMELN = (9.3561, 52.1036)


def places(names: list[str], shift: float = 0.0, **extra: Any) -> bytes:
    """Points near the Hameln town hall, one per name, with ``nr`` as stable id."""
    return geojson_bytes(
        [
            point(HAMELN[0] + i / 1000 + shift, HAMELN[1], nr=i + 1, name=name, **extra)
            for i, name in enumerate(names)
        ]
    )


def live_names(engine: Engine, layer_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(text(f'SELECT name FROM layers."{layer_id}" ORDER BY gid')).scalars()  # noqa: S608
        )


def layer_tables(engine: Engine, layer_id: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'layerdata' AND tablename LIKE :p"
            ),
            {"p": f"{layer_id}\\_\\_v%"},
        )
        return set(rows.scalars())


def test_publish_with_metadata(client: FlaskClient, editor: Staff, engine: Engine) -> None:
    result = upload_and_publish(
        client,
        editor,
        places(["Rathaus", "Münster"]),
        "orte.geojson",
        "orte-intern",
        title="Orte (intern)",
        description="Nur für die Verwaltung",
        category="Verwaltung",
        color="#aa3300",
        icon="landmark",
        popup=["name"],
        public=False,
        license="CC-BY-4.0",
        attribution="Stadt Hameln, FB 61",
        id_column="nr",
    )
    assert result["action"] == "publish" and result["counts"]["written"] == 2
    detail = client.get("/admin/api/layers/orte-intern", headers=editor.bearer).get_json()
    definition = detail["definition"]
    assert detail["origin"] == "upload" and detail["public"] is False
    assert definition["title"] == "Orte (intern)"
    assert definition["category"] == "Verwaltung"
    assert definition["style"] == {**definition["style"], "color": "#aa3300", "icon": "landmark"}
    assert definition["popup"] == ["name"]
    assert definition["license"] == "CC-BY-4.0"
    assert definition["attribution"] == "Stadt Hameln, FB 61"
    assert definition["id_column"] == "nr"
    with engine.connect() as conn:
        assert get_layer(conn, "orte-intern") is None  # private: invisible to citizens
        assert get_layer(conn, "orte-intern", include_private=True) is not None
    assert client.get("/ogc/collections/orte-intern/items").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"id": "admin"}, 400, "reservierter Name"),
        ({"id": "Groß"}, 400, "Kleinbuchstaben"),
        ({"title": ""}, 400, "Pflichtfeld"),
        ({"color": "rot"}, 400, "#rrggbb"),
        ({"popup": ["gibt_es_nicht"]}, 400, "unbekannte Attribute referenziert: gibt_es_nicht"),
        ({"category": "Unbekannt"}, 400, "Keine gültige Auswahl"),
        ({"description": "x" * 5001}, 400, "nicht länger als 5000 Zeichen"),
    ],
)
def test_publish_refuses_bad_metadata(
    client: FlaskClient, editor: Staff, body: dict[str, Any], status: int, message: str
) -> None:
    upload_id = upload(client, editor, places(["A"]), "a.geojson").get_json()["id"]
    data = {"id": "gute-id", "title": "Titel", **body}
    response = client.post(
        f"/admin/api/uploads/{upload_id}/publish", headers=editor.bearer, json=data
    )
    assert response.status_code == status
    assert message in str(response.get_json())


def test_publish_refuses_taken_id_and_empty_data(client: FlaskClient, editor: Staff) -> None:
    upload_and_publish(client, editor, places(["A"]), "a.geojson", "schon-da")
    upload_id = upload(client, editor, places(["B"]), "b.geojson").get_json()["id"]
    taken = publish(client, editor, upload_id, "schon-da")
    assert taken.status_code == 409
    assert "schon vergeben" in taken.get_json()["description"]
    empty_id = upload(client, editor, geojson_bytes([]), "leer.geojson").get_json()["id"]
    empty = publish(client, editor, empty_id, "leer")
    assert empty.status_code == 422
    assert "keine Objekte" in empty.get_json()["description"]


def test_replace_and_rollback(client: FlaskClient, editor: Staff, engine: Engine) -> None:
    first = upload_and_publish(
        client,
        editor,
        places(["Eins", "Zwei", "Drei"]),
        "v1.geojson",
        "wechsel-verwaltung",
        id_column="nr",
    )
    second = replace(client, editor, places(["Uno", "Dos"]), "v2.geojson", "wechsel-verwaltung")
    assert second.status_code == 200, second.get_json()
    assert live_names(engine, "wechsel-verwaltung") == ["Uno", "Dos"]
    back = client.post(
        "/admin/api/layers/wechsel-verwaltung/rollback",
        headers=editor.bearer,
        json={"version": first["version"]},
    ).get_json()
    assert back["version"] > second.get_json()["version"] > first["version"]
    assert live_names(engine, "wechsel-verwaltung") == ["Eins", "Zwei", "Drei"]
    versions = client.get("/admin/api/layers/wechsel-verwaltung", headers=editor.bearer).get_json()[
        "versions"
    ]
    assert [(v["action"], v["live"]) for v in versions] == [
        ("rollback", True),
        ("replace", False),
        ("publish", False),
    ]
    with engine.connect() as conn:
        entries = [e for e in audit.entries(conn, layer_id="wechsel-verwaltung")]
    assert [(e.action, e.actor) for e in entries] == [
        ("rollback", editor.name),
        ("replace", editor.name),
        ("publish", editor.name),
    ]
    assert entries[1].counts["written"] == 2 and entries[1].counts["previous_count"] == 3
    assert entries[0].counts == {"features": 3, "from_version": first["version"]}
    again = client.post(
        "/admin/api/layers/wechsel-verwaltung/rollback",
        headers=editor.bearer,
        json={"version": back["version"]},
    )
    assert again.status_code == 409


def test_only_kept_versions_can_be_rolled_back(
    settings: Settings, editor: Staff, engine: Engine
) -> None:
    app = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "x",
            "keep_versions": 2,
        }
    )
    client = app.test_client()
    first = upload_and_publish(client, editor, places(["A"]), "a.geojson", "kurz-gehalten")
    for names in (["B"], ["C"]):
        assert (
            replace(client, editor, places(names), "n.geojson", "kurz-gehalten").status_code == 200
        )
    assert len(layer_tables(engine, "kurz-gehalten")) == 2
    gone = client.post(
        "/admin/api/layers/kurz-gehalten/rollback",
        headers=editor.bearer,
        json={"version": first["version"]},
    )
    assert gone.status_code == 404
    assert "nicht (mehr) vorhanden" in gone.get_json()["description"]
    sources = settings.var / "sources" / "kurz-gehalten"
    assert len(list(sources.iterdir())) == 2


def test_failed_replace_leaves_live_layer_intact(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    upload_and_publish(
        client, editor, places(["Eins", "Zwei"]), "v1.geojson", "stabil", id_column="nr"
    )
    tables = layer_tables(engine, "stabil")
    without_id = geojson_bytes([point(*HAMELN, name="ohne nr")])
    response = replace(client, editor, without_id, "kaputt.geojson", "stabil")
    assert response.status_code == 422
    assert "nr" in response.get_json()["description"]
    assert live_names(engine, "stabil") == ["Eins", "Zwei"]
    assert layer_tables(engine, "stabil") == tables
    assert len(list((settings.var / "sources" / "stabil").iterdir())) == 1


def test_replace_keeps_labels_and_drops_missing_popup_fields(
    client: FlaskClient, editor: Staff
) -> None:
    upload_and_publish(
        client, editor, places(["A"], typ="x"), "a.geojson", "schema-wechsel", popup=["name", "typ"]
    )
    assert replace(client, editor, places(["B"]), "b.geojson", "schema-wechsel").status_code == 200
    definition = client.get("/admin/api/layers/schema-wechsel", headers=editor.bearer).get_json()[
        "definition"
    ]
    assert definition["popup"] == ["name"]
    assert [a["name"] for a in definition["attributes"]] == ["nr", "name"]


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_validators_change_after_replace_and_rollback(client: FlaskClient, editor: Staff) -> None:
    first = upload_and_publish(client, editor, places(["Alt"]), "a.geojson", "frisch")
    x, y = _tile(*HAMELN, 14)
    urls = ["/ogc/collections/frisch/items", f"/tiles/frisch/14/{x}/{y}.mvt"]
    before = [client.get(u) for u in urls]
    assert [r.status_code for r in before] == [200, 200]
    assert replace(client, editor, places(["Neu"]), "b.geojson", "frisch").status_code == 200
    after = [
        client.get(u, headers={"If-None-Match": r.headers["ETag"]})
        for u, r in zip(urls, before, strict=True)
    ]
    assert [r.status_code for r in after] == [200, 200]
    assert all(a.headers["ETag"] != b.headers["ETag"] for a, b in zip(after, before, strict=True))
    assert "Neu" in after[0].get_data(as_text=True)
    client.post(
        "/admin/api/layers/frisch/rollback",
        headers=editor.bearer,
        json={"version": first["version"]},
    )
    rolled = [client.get(u) for u in urls]
    etags = {r.headers["ETag"] for r in before + after + rolled}
    assert len(etags) == 6
    assert "Alt" in rolled[0].get_data(as_text=True)


def test_uploaded_layers_survive_load_all_and_restart(
    client: FlaskClient,
    editor: Staff,
    engine: Engine,
    settings: Settings,
    shared_data: Path,
    tmp_path: Path,
) -> None:
    result = upload_and_publish(client, editor, places(["Bleibt"]), "a.geojson", "bleibt")
    layers_dir = tmp_path / "layers"
    layers_dir.mkdir()
    source = shared_data / "official" / "derived_hameln_pyrmont_gemeinden_4326.geojson"
    (layers_dir / "gemeinden-yaml.yaml").write_text(
        yaml.safe_dump(
            {"id": "gemeinden-yaml", "title": "Gemeinden", "source": {"path": str(source)}}
        )
    )
    run = CliRunner().invoke(
        cli,
        ["load", "--all"],
        env={
            "DATABASE_URL": settings.database_url,
            "BUERGERGIS_VAR_DIR": str(settings.var),
            "BUERGERGIS_LAYERS_DIR": str(layers_dir),
        },
        catch_exceptions=False,
    )
    assert run.exit_code == 0, run.output
    with engine.connect() as conn:
        record = get_layer(conn, "bleibt")
    assert record is not None and record.version == result["version"] and record.origin == "upload"
    assert live_names(engine, "bleibt") == ["Bleibt"]
    restarted = create_app(
        {"database_url": settings.database_url, "var_dir": settings.var, "secret_key": "x"}
    )
    ids = [
        layer["id"]
        for layer in restarted.test_client()
        .get("/admin/api/layers", headers=editor.bearer)
        .get_json()["layers"]
    ]
    assert {"bleibt", "gemeinden-yaml"} <= set(ids)
    assert restarted.test_client().get("/ogc/collections/bleibt/items").status_code == 200


def test_export_yaml_loads_again(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    upload_and_publish(
        client,
        editor,
        places(["Eins", "Zwei"]),
        "a.geojson",
        "export",
        popup=["name"],
        id_column="nr",
    )
    response = client.get("/admin/api/layers/export/export", headers=editor.bearer)
    assert response.mimetype == "application/yaml"
    data = yaml.safe_load(response.get_data(as_text=True))
    assert data["id"] == "export" and data["popup"] == ["name"]
    stored = client.get("/admin/api/layers/export", headers=editor.bearer).get_json()["definition"]
    assert parse_definition(data) == parse_definition(stored)
    copy = parse_definition({**data, "id": "export-kopie"})
    result = load_layer(engine, settings, copy)
    assert result.report.written == 2
    assert live_names(engine, "export-kopie") == ["Eins", "Zwei"]


def test_raster_rollback_copies_the_kept_file(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings, shared_data: Path
) -> None:
    source = shared_data / "edge" / "raster" / "cogeo.tif"
    definition = RasterLayer(
        kind="raster", id="raster-zurueck", title="Raster", source=Source(path=str(source))
    )
    first = load_layer(engine, settings, definition)
    second = load_layer(engine, settings, definition)
    response = client.post(
        "/admin/api/layers/raster-zurueck/rollback",
        headers=editor.bearer,
        json={"version": first.version},
    )
    assert response.status_code == 200, response.get_json()
    version = response.get_json()["version"]
    assert version > second.version
    with engine.connect() as conn:
        record = get_layer(conn, "raster-zurueck")
    assert record is not None and record.version == version
    assert record.raster_path == str(settings.var / "raster" / "raster-zurueck" / f"v{version}.tif")
    old = settings.var / "raster" / "raster-zurueck" / f"v{first.version}.tif"
    assert Path(record.raster_path).read_bytes() == old.read_bytes()


def test_rollback_input_is_checked(client: FlaskClient, editor: Staff) -> None:
    for body in ({}, {"version": "3"}, {"version": True}):
        response = client.post(
            "/admin/api/layers/wechsel-verwaltung/rollback", headers=editor.bearer, json=body
        )
        assert response.status_code == 400
    missing = client.post(
        "/admin/api/layers/gibt-es-nicht/rollback", headers=editor.bearer, json={"version": 1}
    )
    assert missing.status_code == 404


def test_pages_publish_replace_rollback(
    app: Flask, client: FlaskClient, editor: Staff, engine: Engine
) -> None:
    from tests.admin_support import csrf_token, login_session

    login_session(client, editor)
    body = upload(client, editor, places(["Seite"]), "seite.geojson").get_json()
    token = csrf_token(client, body["links"]["page"])
    form = {
        "csrf_token": token,
        "dataset": "0",
        "id": "per-seite",
        "title": "Per Seite",
        "category": "Freizeit",
        "color": "#123456",
        "icon": "",
        "license": "dl-de/by-2-0",
        "attribution": "Stadt Hameln",
        "public": "y",
        "popup": ["name"],
    }
    response = client.post(f"/admin/uploads/{body['id']}/publish", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/layers/per-seite"
    page = client.get("/admin/layers/per-seite").get_data(as_text=True)
    assert "Layer veröffentlicht" in page
    again = upload(client, editor, places(["Nochmal"]), "n.geojson").get_json()
    taken = client.post(
        f"/admin/uploads/{again['id']}/publish",
        data={**form, "csrf_token": csrf_token(client, again["links"]["page"])},
    )
    assert taken.status_code == 409
    assert "schon vergeben" in taken.get_data(as_text=True)
    token = csrf_token(client, again["links"]["page"])
    step = {"csrf_token": token, "dataset": "0", "target": "per-seite"}
    confirm = client.post(f"/admin/uploads/{again['id']}/replace", data=step)
    assert confirm.status_code == 200  # first a confirmation that says what changes
    assert "1 Objekte ersetzen 1 Objekte" in confirm.get_data(as_text=True)
    assert live_names(engine, "per-seite") == ["Seite"]
    replaced = client.post(f"/admin/uploads/{again['id']}/replace", data={**step, "confirmed": "1"})
    assert replaced.status_code == 302
    assert live_names(engine, "per-seite") == ["Nochmal"]
    versions = client.get("/admin/api/layers/per-seite", headers=editor.bearer).get_json()[
        "versions"
    ]
    token = csrf_token(client, "/admin/layers/per-seite")
    rolled = client.post(
        "/admin/layers/per-seite/rollback",
        data={"csrf_token": token, "version": versions[-1]["version"]},
    )
    assert rolled.status_code == 302
    assert live_names(engine, "per-seite") == ["Seite"]
    assert "ist wieder live" in client.get("/admin/layers/per-seite").get_data(as_text=True)
