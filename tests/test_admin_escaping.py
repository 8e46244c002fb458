"""HTML and SQL injection through file names, titles and attribute values comes out inert:
escaped in every page, verbatim in the API and the database."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import json

import yaml
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import Engine, text

from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    admin,
    geojson_bytes,
    login_session,
    point,
    upload,
)

SCRIPT = '<script>alert("feld")</script>'
IMG = '"><img src=x onerror=alert(1)>'
SQL = "'); DROP TABLE buergergis.layer; --"
FILENAME = "<img src=x onerror=alert(2)>'; DROP TABLE x;--.geojson"
TITLE = "<b onmouseover=alert(3)>Titel</b> '; DELETE FROM buergergis.layer; --"
COLUMN = '<i>Spalte"</i>'
RAW = [SCRIPT, IMG, "<img src=x onerror=alert(2)>", "<b onmouseover=alert(3)>", "<i>Spalte"]


def evil_geojson() -> bytes:
    return geojson_bytes(
        [
            point(9.356, 52.103, name=SCRIPT, beschreibung=IMG, **{COLUMN: SQL}),
            point(9.357, 52.104, name=SQL, beschreibung=SCRIPT, **{COLUMN: IMG}),
        ]
    )


def assert_inert(page: str, *escaped: str) -> None:
    for raw in RAW:
        assert raw not in page
    for value in escaped:
        assert str(escape(value)) in page


def test_injection_is_escaped_everywhere(client: FlaskClient, admin: Staff, engine: Engine) -> None:
    created = upload(client, admin, evil_geojson(), FILENAME)
    assert created.status_code == 201
    assert created.get_json()["filename"] == FILENAME
    assert created.headers["X-Content-Type-Options"] == "nosniff"
    body = created.get_json()
    login_session(client, admin)
    doctor = client.get(body["links"]["page"]).get_data(as_text=True)
    assert_inert(doctor, FILENAME, SCRIPT, IMG, SQL, COLUMN)
    data = json.loads(doctor.split('id="preview-data">', 1)[1].split("</script>", 1)[0])
    values = {v for f in data["features"] for v in f["properties"].values()}
    assert {SCRIPT, IMG, SQL} <= values
    assert COLUMN in {k for f in data["features"] for k in f["properties"]}

    preview = client.get(body["links"]["preview"], headers=admin.bearer).get_json()
    assert preview["rows"][0] == ["1", SCRIPT, IMG, SQL]
    published = client.post(
        body["links"]["publish"],
        headers=admin.bearer,
        json={
            "id": "boese",
            "title": TITLE,
            "description": SCRIPT,
            "attribution": IMG,
            "popup": ["name"],
        },
    )
    assert published.status_code == 201, published.get_json()

    with engine.connect() as conn:
        stored = conn.execute(text('SELECT name FROM layers."boese" ORDER BY gid')).scalars().all()
        catalog = conn.execute(text("SELECT count(*) FROM buergergis.layer")).scalar_one()
    assert stored == [SCRIPT, SQL]
    assert catalog >= 1
    detail = client.get("/admin/api/layers/boese", headers=admin.bearer).get_json()
    assert detail["title"] == TITLE and detail["definition"]["description"] == SCRIPT

    for path in ("/admin/", "/admin/layers/boese"):
        page = client.get(path)
        assert page.status_code == 200
        assert_inert(page.get_data(as_text=True), TITLE)
    layer_page = client.get("/admin/layers/boese").get_data(as_text=True)
    assert_inert(layer_page, SCRIPT, IMG)
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert_inert(audit_page, FILENAME)

    exported = yaml.safe_load(client.get("/admin/layers/boese/export.yaml").get_data(as_text=True))
    assert exported["title"] == TITLE and exported["description"] == SCRIPT


def test_error_pages_escape_input(client: FlaskClient, admin: Staff) -> None:
    login_session(client, admin)
    page = client.get("/admin/layers/<script>alert(9)")
    assert page.status_code == 404
    text_ = page.get_data(as_text=True)
    assert "<script>alert(9)" not in text_
    assert "&lt;script&gt;alert(9)" in text_
    bad = client.get("/admin/uploads/0123456789abcdef0123456789abcdef?encoding=<b>x</b>")
    assert bad.status_code == 404
    evil_upload = upload(client, admin, evil_geojson(), FILENAME).get_json()
    shown = client.get(evil_upload["links"]["page"] + "?encoding=%3Cb%3Ex%3C/b%3E")
    assert shown.status_code == 400
    assert "<b>x</b>" not in shown.get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in shown.get_data(as_text=True)
