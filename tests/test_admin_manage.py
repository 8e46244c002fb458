"""Managing a published layer through the API: edit, unpublish/publish, delete, restore, purge.

Every change is audited, visible at once (OGC, tiles, validators) and never reloads data.
"""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.catalog.parse import parse_definition
from buergergis.cli import cli
from buergergis.errors import Conflict
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store import audit
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
NAMES = ["Aerzen", "Bad Münder", "Coppenbrügge"]


def municipalities(names: list[str] = NAMES) -> bytes:
    """Points with a raw-column-name schema like the BKG municipalities (``gen``, ``bez``)."""
    return geojson_bytes(
        [
            point(HAMELN[0] + i / 1000, HAMELN[1], nr=i + 1, gen=name, bez="Gemeinde", ew=1000 * i)
            for i, name in enumerate(names)
        ]
    )


def publish_layer(client: FlaskClient, editor: Staff, layer_id: str, **extra: Any) -> None:
    upload_and_publish(
        client, editor, municipalities(), "gemeinden.geojson", layer_id, id_column="nr", **extra
    )


def _tile() -> str:
    z, n = 14, 2**14
    x = int((HAMELN[0] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(HAMELN[1]))) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


def patch(client: FlaskClient, editor: Staff, layer_id: str, body: Any) -> Any:
    return client.patch(f"/admin/api/layers/{layer_id}", headers=editor.bearer, json=body)


def data_table(engine: Engine, layer_id: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT data_table FROM buergergis.layer WHERE id = :id"), {"id": layer_id}
            ).scalar_one()
        )


FULL_EDIT = {
    "title": "Gemeinden im Landkreis",
    "title_en": "Municipalities",
    "description": "Die Gemeinden rund um Hameln.",
    "description_en": "Municipalities around Hameln.",
    "category": "Verwaltung",
    "licence": "CC-BY-4.0",
    "attribution": "Landkreis Hameln-Pyrmont",
    "data_date": "2026-11-30",
    "attributes": [
        {"name": "gen", "title": "Gemeinde", "title_en": "Municipality"},
        {"name": "bez", "title": "Art", "title_en": "Type"},
        {"name": "nr", "title": "Nummer"},
    ],
    "popup": ["gen", "bez"],
    "search": ["gen"],
    "style": {
        "color": "#225588",
        "label": "gen",
        "by_attribute": {
            "attribute": "gen",
            "categories": [{"value": "Aerzen", "color": "#aa3300", "label": "Aerzen"}],
            "other_label": "andere",
        },
    },
    "minzoom": 8,
    "maxzoom": 18,
}


def test_patch_changes_everything_at_once_without_reload(
    client: FlaskClient, editor: Staff, engine: Engine
) -> None:
    publish_layer(client, editor, "gemeinden-edit")
    table = data_table(engine, "gemeinden-edit")
    urls = [
        "/ogc/collections/gemeinden-edit",
        "/ogc/collections/gemeinden-edit/items",
        f"/tiles/gemeinden-edit/{_tile()}.mvt",
        "/feeds/gemeinden-edit.atom",
        "/liste/gemeinden-edit",
    ]
    before = [client.get(u) for u in urls]
    assert [r.status_code for r in before] == [200] * len(urls)

    response = patch(client, editor, "gemeinden-edit", FULL_EDIT)
    assert response.status_code == 200, response.get_json()
    state = response.get_json()
    d = state["definition"]
    assert state["title"] == "Gemeinden im Landkreis" and d["title_en"] == "Municipalities"
    assert d["license"] == "CC-BY-4.0" and d["attribution"] == "Landkreis Hameln-Pyrmont"
    assert d["data_date"] == "2026-11-30" and (d["minzoom"], d["maxzoom"]) == (8, 18)
    assert [(a["name"], a.get("title")) for a in d["attributes"]] == [
        ("gen", "Gemeinde"),
        ("bez", "Art"),
        ("nr", "Nummer"),
    ]  # "ew" is hidden now, the order is the given one
    assert d["style"]["by_attribute"]["categories"][0]["color"] == "#aa3300"
    assert d["popup"] == ["gen", "bez"] and d["search"] == ["gen"]
    assert state["version_number"] == 2 and state["managed_by"] == "staff"
    assert data_table(engine, "gemeinden-edit") == table  # no data copied or reloaded

    after = [
        client.get(u, headers={"If-None-Match": r.headers["ETag"]})
        for u, r in zip(urls, before, strict=True)
    ]
    assert [r.status_code for r in after] == [200] * len(urls)  # no 304: validators changed
    assert all(a.headers["ETag"] != b.headers["ETag"] for a, b in zip(after, before, strict=True))
    for page in (after[0], after[3], after[4]):  # OGC, feed and list show the new title
        assert "Gemeinden im Landkreis" in page.get_data(as_text=True)
    assert re.search(r">\s*Art<", after[4].get_data(as_text=True))  # the list uses the labels
    assert not re.search(r">\s*Art<", before[4].get_data(as_text=True))
    props = after[1].get_json()["features"][0]["properties"]
    assert "ew" not in props and props["gen"] == "Aerzen"

    with engine.connect() as conn:
        entry = audit.entries(conn, layer_id="gemeinden-edit", limit=1)[0]
    assert entry.action == "layer_edit" and entry.actor == editor.name
    assert entry.details["changes"]["title"]["alt"] == "gemeinden-edit"
    assert entry.details["changes"]["title"]["neu"] == "Gemeinden im Landkreis"


def test_hidden_attribute_can_be_shown_again(client: FlaskClient, editor: Staff) -> None:
    publish_layer(client, editor, "gemeinden-zeigen", popup=["gen", "ew"])
    hidden = patch(client, editor, "gemeinden-zeigen", {"attributes": ["gen", "nr"]}).get_json()
    assert [a["name"] for a in hidden["definition"]["attributes"]] == ["gen", "nr"]
    assert hidden["definition"]["popup"] == ["gen"]  # "ew" left the popup with it
    shown = patch(
        client, editor, "gemeinden-zeigen", {"attributes": ["ew", "gen", "nr", "bez"]}
    ).get_json()
    assert [a["name"] for a in shown["definition"]["attributes"]] == ["ew", "gen", "nr", "bez"]
    assert shown["definition"]["attributes"][0]["type"] == "integer"
    items = client.get("/ogc/collections/gemeinden-zeigen/items").get_json()
    assert items["features"][1]["properties"]["ew"] == 1000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"farbe": "rot"}, "Unbekannte Felder: farbe"),
        ({"public": False}, "Unbekannte Felder: public"),
        ({}, "mindestens ein Feld"),
        ({"category": "Quatsch"}, "Unbekannte Kategorie"),
        ({"data_date": "30.11.2026"}, "kein Datum"),
        ({"title": ""}, "Ungültige Angaben"),
        ({"minzoom": 15, "maxzoom": 10}, "minzoom darf nicht größer als maxzoom sein"),
        ({"style": {"color": "rot"}}, "Ungültige Angaben"),
        ({"style": "rot"}, "muss ein Objekt sein"),
        ({"attributes": [{"name": "gibtsnicht"}]}, "gibt es in den Daten nicht"),
        ({"attributes": [{"name": "gen", "type": "integer"}]}, "nur name, title und title_en"),
        ({"attributes": []}, "nicht leere Liste"),
        ({"popup": ["gibtsnicht"]}, "unbekannte Attribute referenziert: gibtsnicht"),
        (
            {"style": {"by_attribute": {"attribute": "ew", "categories": []}}},
            "entweder categories oder ranges",
        ),
        (["title"], "JSON-Objekt"),
    ],
)
def test_bad_edits_are_refused_in_german(
    client: FlaskClient, editor: Staff, body: Any, message: str
) -> None:
    if client.get("/admin/api/layers/gemeinden-falsch", headers=editor.bearer).status_code == 404:
        publish_layer(client, editor, "gemeinden-falsch")
    response = patch(client, editor, "gemeinden-falsch", body)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["description"]
    state = client.get("/admin/api/layers/gemeinden-falsch", headers=editor.bearer).get_json()
    assert state["version_number"] == 1  # nothing changed


def test_unknown_and_file_managed_layers(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    assert patch(client, editor, "gibt-es-nicht", {"title": "x"}).status_code == 404
    for method, suffix in (("POST", "/unpublish"), ("POST", "/restore"), ("DELETE", "")):
        url = f"/admin/api/layers/gibt-es-nicht{suffix}"
        assert client.open(url, method=method, headers=editor.bearer).status_code == 404
    definition = parse_definition(
        {
            "id": "aus-datei",
            "title": "Aus Datei",
            "source": {"path": str(settings.root / "tests" / "nicht-da.geojson")},
        }
    )
    with engine.begin() as conn:  # a file-managed layer, as `buergergis load` records it
        conn.execute(
            text(
                "INSERT INTO buergergis.layer (id, kind, definition, origin, version)"
                " VALUES ('aus-datei', 'vector', CAST(:d AS jsonb), 'yaml', 1)"
            ),
            {"d": definition.model_dump_json()},
        )
    try:
        response = patch(client, editor, "aus-datei", {"title": "Neu"})
        assert response.status_code == 409
        assert "layers/aus-datei.yaml" in response.get_json()["description"]
        assert (
            client.delete("/admin/api/layers/aus-datei", headers=editor.bearer).status_code == 409
        )
        state = client.get("/admin/api/layers/aus-datei", headers=editor.bearer).get_json()
        assert state["managed_by"] == "file"
    finally:  # a catalog row without data must not reach the other tests of this session
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM buergergis.layer WHERE id = 'aus-datei'"))


def test_a_file_never_overwrites_a_staff_layer(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings, tmp_path: Any
) -> None:
    publish_layer(client, editor, "gemeinden-datei")
    patch(client, editor, "gemeinden-datei", {"title": "Von der Redaktion"})
    source = tmp_path / "g.geojson"
    source.write_bytes(municipalities(["Überschrieben"]))
    definition = parse_definition(
        {"id": "gemeinden-datei", "title": "Aus der Datei", "source": {"path": str(source)}}
    )
    with pytest.raises(Conflict, match="wird in der Verwaltung gepflegt"):
        load_layer(engine, settings, definition)
    state = client.get("/admin/api/layers/gemeinden-datei", headers=editor.bearer).get_json()
    assert state["title"] == "Von der Redaktion"


def cached_keys(settings: Settings, layer_id: str) -> list[str]:
    """The tile cache folders holding tiles of ``layer_id`` (public ones; nginx serves them)."""
    root = settings.shared / "cache" / "tiles"
    return (
        [p.name for p in root.iterdir() if p.name.split("@")[0] == layer_id]
        if root.is_dir()
        else []
    )


def test_unpublish_and_publish(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    publish_layer(client, editor, "gemeinden-sicht")
    before = client.get("/ogc/collections/gemeinden-sicht/items")
    assert before.status_code == 200
    assert client.get(f"/tiles/gemeinden-sicht/{_tile()}.mvt").status_code == 200
    assert cached_keys(settings, "gemeinden-sicht")  # a public tile on disk
    response = client.post("/admin/api/layers/gemeinden-sicht/unpublish", headers=editor.bearer)
    assert response.status_code == 200 and response.get_json()["public"] is False
    assert cached_keys(settings, "gemeinden-sicht") == []  # withdrawn at once, not at a sweep
    assert client.get("/ogc/collections/gemeinden-sicht/items").status_code == 404
    assert client.get(f"/tiles/gemeinden-sicht/{_tile()}.mvt").status_code == 404
    response = client.post("/admin/api/layers/gemeinden-sicht/publish", headers=editor.bearer)
    assert response.get_json()["public"] is True
    again = client.get("/ogc/collections/gemeinden-sicht/items")
    assert again.status_code == 200 and again.headers["ETag"] != before.headers["ETag"]
    with engine.connect() as conn:
        actions = [e.action for e in audit.entries(conn, layer_id="gemeinden-sicht", limit=3)]
    assert actions == ["layer_public", "layer_private", "publish"]


def test_delete_restore_and_purge(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    publish_layer(client, editor, "gemeinden-weg")
    table = data_table(engine, "gemeinden-weg")
    assert client.get(f"/tiles/gemeinden-weg/{_tile()}.mvt").status_code == 200
    assert cached_keys(settings, "gemeinden-weg")
    response = client.delete("/admin/api/layers/gemeinden-weg", headers=editor.bearer)
    assert response.status_code == 200
    assert cached_keys(settings, "gemeinden-weg") == []
    body = response.get_json()
    assert body["deleted"] is True and body["deleted_by"] == editor.name
    assert client.get("/ogc/collections/gemeinden-weg").status_code == 404
    assert client.get(f"/tiles/gemeinden-weg/{_tile()}.mvt").status_code == 404
    assert client.get("/admin/api/layers/gemeinden-weg", headers=editor.bearer).status_code == 404
    trash = client.get("/admin/api/trash", headers=editor.bearer).get_json()["layers"]
    entry = next(e for e in trash if e["id"] == "gemeinden-weg")
    assert entry["purge_at"][:10] > entry["deleted_at"][:10]
    staged = upload(client, editor, municipalities(), "g.geojson").get_json()
    taken = publish(client, editor, staged["id"], "gemeinden-weg")  # the id stays taken
    assert taken.status_code == 409 and "Papierkorb" in taken.get_json()["description"]

    restored = client.post("/admin/api/layers/gemeinden-weg/restore", headers=editor.bearer)
    assert restored.status_code == 200 and restored.get_json()["public"] is True
    assert client.get("/ogc/collections/gemeinden-weg/items").get_json()["numberMatched"] == 3
    assert data_table(engine, "gemeinden-weg") == table
    second = client.post("/admin/api/layers/gemeinden-weg/restore", headers=editor.bearer)
    assert second.status_code == 404 and "Papierkorb" in second.get_json()["description"]

    purge = client.post("/admin/api/layers/gemeinden-weg/purge", headers=editor.bearer)
    assert purge.status_code == 404  # only from the recycle bin
    client.delete("/admin/api/layers/gemeinden-weg", headers=editor.bearer)
    purge = client.post("/admin/api/layers/gemeinden-weg/purge", headers=editor.bearer)
    assert purge.status_code == 200
    with engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM buergergis.layer_version WHERE layer_id = :id),"
                " to_regclass(:t) IS NOT NULL"
            ),
            {"id": "gemeinden-weg", "t": f'layerdata."{table}"'},
        ).one()
        actions = [e.action for e in audit.entries(conn, layer_id="gemeinden-weg", limit=5)]
    assert tuple(left) == (0, False)
    assert actions[:4] == ["layer_purge", "layer_delete", "layer_restore", "layer_delete"]
    assert not (settings.var / "sources" / "gemeinden-weg").exists()
    restore = client.post("/admin/api/layers/gemeinden-weg/restore", headers=editor.bearer)
    assert restore.status_code == 404


def test_cli_purges_only_expired_layers(
    client: FlaskClient, editor: Staff, engine: Engine, settings: Settings
) -> None:
    publish_layer(client, editor, "gemeinden-alt")
    publish_layer(client, editor, "gemeinden-frisch")
    for layer_id in ("gemeinden-alt", "gemeinden-frisch"):
        client.delete(f"/admin/api/layers/{layer_id}", headers=editor.bearer)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE buergergis.layer SET deleted_at = now() - interval '31 days'"
                " WHERE id = 'gemeinden-alt'"
            )
        )
    env = {"DATABASE_URL": settings.database_url, "BUERGERGIS_VAR_DIR": str(settings.var)}
    result = CliRunner().invoke(cli, ["layers", "purge"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "gemeinden-alt" in result.output and "gemeinden-frisch" not in result.output
    trash = CliRunner().invoke(cli, ["layers", "trash"], env=env, catch_exceptions=False)
    assert "gemeinden-frisch" in trash.output and "gemeinden-alt" not in trash.output
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM buergergis.layer")).scalars())
    assert "gemeinden-alt" not in ids and "gemeinden-frisch" in ids


def test_version_numbers_per_layer_and_edits_keep_old_data(
    client: FlaskClient, editor: Staff, settings: Settings
) -> None:
    publish_layer(client, editor, "gemeinden-nummern")
    assert replace(client, editor, municipalities(["Neu"]), "n.geojson", "gemeinden-nummern")
    for i in range(settings.keep_versions + 1):
        patch(client, editor, "gemeinden-nummern", {"description": f"Stand {i}"})
    state = client.get("/admin/api/layers/gemeinden-nummern", headers=editor.bearer).get_json()
    numbers = [v["number"] for v in state["versions"]]
    assert numbers == list(range(settings.keep_versions + 3, 0, -1))
    first = state["versions"][-1]
    assert first["kept"]  # edits share data, so the first data version is still there
    response = client.post(
        "/admin/api/layers/gemeinden-nummern/rollback",
        headers=editor.bearer,
        json={"version": first["version"]},
    )
    assert response.status_code == 200, response.get_json()
    items = client.get("/ogc/collections/gemeinden-nummern/items").get_json()
    assert items["numberMatched"] == 3


def test_rollback_brings_old_data_with_todays_labels_and_visibility(
    client: FlaskClient, editor: Staff
) -> None:
    publish_layer(client, editor, "gemeinden-zurueck")
    patch(
        client,
        editor,
        "gemeinden-zurueck",
        {"attributes": [{"name": "gen", "title": "Gemeinde"}, "bez", "nr"]},
    )
    replaced = replace(client, editor, municipalities(["Neu"]), "n.geojson", "gemeinden-zurueck")
    assert replaced.status_code == 200
    state = client.get("/admin/api/layers/gemeinden-zurueck", headers=editor.bearer).get_json()
    names = [a["name"] for a in state["definition"]["attributes"]]
    assert names == ["gen", "bez", "nr"]  # the replacement keeps order; "ew" stays hidden
    client.post("/admin/api/layers/gemeinden-zurueck/unpublish", headers=editor.bearer)
    patch(
        client,
        editor,
        "gemeinden-zurueck",
        {"attributes": [{"name": "gen", "title": "Gemeinde"}, "nr"]},
    )
    state = client.get("/admin/api/layers/gemeinden-zurueck", headers=editor.bearer).get_json()
    first = state["versions"][-1]["version"]
    rolled = client.post(
        "/admin/api/layers/gemeinden-zurueck/rollback",
        headers=editor.bearer,
        json={"version": first},
    )
    assert rolled.status_code == 200
    after = client.get("/admin/api/layers/gemeinden-zurueck", headers=editor.bearer).get_json()
    assert after["public"] is False  # the rollback does not publish what was made private
    attrs = after["definition"]["attributes"]
    assert [(a["name"], a.get("title")) for a in attrs] == [
        ("gen", "Gemeinde"),
        ("nr", None),
        ("ew", None),
    ]  # today's order and labels; "bez", hidden today, stays hidden; "ew" is back with the data
    assert after["feature_count"] == 3


def test_confirmations_say_what_changes(client: FlaskClient, editor: Staff) -> None:
    from tests.admin_support import csrf_token, login_session

    publish_layer(client, editor, "gemeinden-bestaetigen", popup=["gen"])
    patch(
        client,
        editor,
        "gemeinden-bestaetigen",
        {
            "attributes": [{"name": "gen", "title": "Gemeinde"}, "bez", "nr", "ew"],
            "style": {"label": "gen"},
        },
    )
    login_session(client, editor)
    staged = upload(client, editor, municipalities(["Aerzen", "Bad Münder am Deister"]), "n.json")
    upload_id = staged.get_json()["id"]
    doctor = client.get(f"/admin/uploads/{upload_id}").get_data(as_text=True)
    assert '<option selected value="">– bitte Layer wählen –</option>' in doctor
    assert not re.search(r'<input[^>]*checked[^>]*id="public"', doctor)
    assert not re.search(r'<input[^>]*id="public"[^>]*checked', doctor)
    step = {"csrf_token": csrf_token(client, f"/admin/uploads/{upload_id}"), "dataset": "0"}
    missing = client.post(f"/admin/uploads/{upload_id}/replace", data=step)
    assert missing.status_code == 400 and "Pflichtfeld" in missing.get_data(as_text=True)
    page = client.post(
        f"/admin/uploads/{upload_id}/replace", data={**step, "target": "gemeinden-bestaetigen"}
    ).get_data(as_text=True)
    assert "2 Objekte ersetzen 3 Objekte" in page
    assert "Coppenbrügge" in page  # removed, named by its label
    assert "Gemeinde „Bad Münder“ → „Bad Münder am Deister“" in page.replace("&#34;", '"')
    rollback = client.get("/admin/layers/gemeinden-bestaetigen/rollback?version=1")
    assert rollback.status_code == 404  # version ids are internal: 1 is not this layer's
    state = client.get("/admin/api/layers/gemeinden-bestaetigen", headers=editor.bearer)
    first = state.get_json()["versions"][-1]["version"]
    client.post(
        f"/admin/uploads/{upload_id}/replace",
        data={**step, "target": "gemeinden-bestaetigen", "confirmed": "1"},
    )
    confirm = client.get(f"/admin/layers/gemeinden-bestaetigen/rollback?version={first}")
    text_ = confirm.get_data(as_text=True)
    assert "3 Objekte (Version 1) ersetzen 2 Objekte (Version 3, jetzt live)" in text_
