"""Holzverkauf: lot filters, the Kaufanfrage (validation, token, origin, rate limit) and the
staff workflow (reserve → new layer version, audit log), all against real PostGIS."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

import mapbox_vector_tile
import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, text

from buergergis.catalog.service import RequestForm
from buergergis.services import request_form
from buergergis.store.sql import layer_view
from tests.admin_support import Staff, csrf_token, editor, login_session  # noqa: F401
from tests.services_support import (
    LOTS,
    Restorer,
    count_requests,
    form_token,
    generous_limit,  # noqa: F401
    lots_with,
    request_data,
    request_url,
    restorer,  # noqa: F401
    value_of,
    version_of,
)

pytestmark = pytest.mark.usefixtures("demo_layers", "generous_limit")


def fids_on(page: str) -> set[str]:
    return set(re.findall(r'<tr id="los-[^"]*" data-fid="([^"]+)"', page))


@pytest.mark.parametrize(
    "query", ["", "status=frei", "status=verkauft&holzart=Buche", "holzart=Eiche"]
)
def test_lot_filters_match_postgis(client: FlaskClient, engine: Engine, query: str) -> None:
    args = dict(p.split("=") for p in query.split("&") if p)
    clauses = " AND ".join(f'"{k}" = :{k}' for k in args) or "TRUE"
    with engine.connect() as conn:
        sql = f"SELECT fid FROM {layer_view(LOTS)} WHERE {clauses}"  # noqa: S608
        expected = set(conn.execute(text(sql), args).scalars())
    response = client.get(f"/holzverkauf?{query}")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    page = response.get_data(as_text=True)
    assert fids_on(page) == expected
    assert page.count('"type": "Feature"') == len(expected)


def test_lot_filter_rejects_unknown_status(client: FlaskClient) -> None:
    response = client.get("/holzverkauf?status=geschenkt")
    assert response.status_code == 400
    assert "nicht erlaubt" in response.get_data(as_text=True)


def test_form_needs_a_free_lot(client: FlaskClient, engine: Engine) -> None:
    assert client.get("/holzverkauf/anfrage").status_code == 302
    assert client.get(request_url("HM-0000-999")).status_code == 404
    taken = lots_with(engine, "reserviert")[0]
    response = client.get(request_url(taken))
    assert response.status_code == 409
    assert "reserviert" in response.get_data(as_text=True)


def test_invalid_input_is_explained_and_nothing_stored(client: FlaskClient, engine: Engine) -> None:
    fid = lots_with(engine, "frei")[0]
    before = count_requests(engine)
    data = request_data(fid, form_token(client, fid), name="", kontakt="irgendwas", einwilligung="")
    response = client.post(request_url(fid), data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bitte geben Sie Ihren Namen an." in page
    assert "E-Mail-Adresse" in page and "Einverständnis" in page
    assert 'value="irgendwas"' in page  # the citizen's input is kept
    assert count_requests(engine) == before


@pytest.mark.parametrize("kontakt", ["erika@example.de", "05151 202-1540", "+49 (5151) 2021540"])
def test_email_or_phone_accepted(kontakt: str) -> None:
    form_cls = request_form.form_class(RequestForm(kind="kaufanfrage", title="Kaufanfrage"))
    form = form_cls(data={"name": "Ab", "kontakt": kontakt, "einwilligung": True})
    assert form.validate(), form.errors


def test_token_is_required_and_bound_to_the_lot(
    client: FlaskClient, engine: Engine, monkeypatch: Any
) -> None:
    free = lots_with(engine, "frei")
    before = count_requests(engine)
    response = client.post(request_url(free[0]), data=request_data(free[0], ""))
    assert response.status_code == 400 and "Sicherheitsmerkmal" in response.get_data(as_text=True)
    other = form_token(client, free[1])
    response = client.post(request_url(free[0]), data=request_data(free[0], other))
    assert response.status_code == 400 and "anderen Angebot" in response.get_data(as_text=True)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) - request_form.FORM_MAX_AGE - 60
    )
    old = request_form.form_token("test-secret", LOTS, free[0])
    monkeypatch.undo()
    response = client.post(request_url(free[0]), data=request_data(free[0], old))
    assert response.status_code == 400 and "zu lange geöffnet" in response.get_data(as_text=True)
    assert count_requests(engine) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://boese.example"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_cross_site_posts_are_refused(
    client: FlaskClient, engine: Engine, headers: dict[str, str]
) -> None:
    fid = lots_with(engine, "frei")[0]
    before = count_requests(engine)
    response = client.post(
        request_url(fid), data=request_data(fid, form_token(client, fid)), headers=headers
    )
    assert response.status_code == 403
    assert "fremden Webseiten" in response.get_data(as_text=True)
    assert count_requests(engine) == before


def test_honeypot_is_refused(client: FlaskClient, engine: Engine) -> None:
    fid = lots_with(engine, "frei")[0]
    data = request_data(fid, form_token(client, fid), website="http://spam.example")
    assert client.post(request_url(fid), data=data).status_code == 400


def test_request_is_stored_and_confirmed_without_cookies(
    client: FlaskClient, engine: Engine
) -> None:
    fid = lots_with(engine, "frei")[0]
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    response = client.post(
        request_url(fid), data=request_data(fid, form_token(client, fid)), headers=headers
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200 and "Set-Cookie" not in confirmation.headers
    page = confirmation.get_data(as_text=True)
    reference = re.search(r'data-testid="reference">(HV-\d{4}-\d{6})<', page)
    assert reference
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM buergergis.anfrage WHERE id = :id"),
            {"id": int(reference.group(1)[-6:])},
        ).one()
    assert (row.fid, row.name, row.kontakt, row.status) == (
        fid,
        "Erika Mustermann",
        "erika@example.de",
        "neu",
    )
    assert row.nachricht == "Bitte mit Anhänger abholen."
    tampered = response.headers["Location"][:-3] + "abc"
    assert client.get(tampered).status_code == 400


def test_rate_limit_per_address(app: Flask, engine: Engine) -> None:
    fid = lots_with(engine, "frei")[0]
    before = app.config["BUERGERGIS_ANFRAGE_LIMITS"]
    app.config["BUERGERGIS_ANFRAGE_LIMITS"] = ((60, 2),)
    try:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "192.0.2.77"
        statuses = [
            client.post(
                request_url(fid), data=request_data(fid, form_token(client, fid))
            ).status_code
            for _ in range(3)
        ]
        assert statuses == [303, 303, 429]
        limited = client.post(request_url(fid), data=request_data(fid, form_token(client, fid)))
        assert limited.status_code == 429 and "sehr viele Anfragen" in limited.get_data(
            as_text=True
        )
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "192.0.2.78"
        assert (
            other.post(request_url(fid), data=request_data(fid, form_token(other, fid))).status_code
            == 303
        )
    finally:
        app.config["BUERGERGIS_ANFRAGE_LIMITS"] = before


def submit(client: FlaskClient, fid: str) -> int:
    response = client.post(request_url(fid), data=request_data(fid, form_token(client, fid)))
    assert response.status_code == 303, response.get_data(as_text=True)
    reference = re.search(
        r"(HV-\d{4}-\d{6})", client.get(response.headers["Location"]).get_data(as_text=True)
    )
    assert reference
    return int(reference.group(1)[-6:])


def test_staff_pages_need_login_and_csrf(app: Flask, engine: Engine, editor: Staff) -> None:  # noqa: F811
    anonymous = app.test_client()
    response = anonymous.get("/admin/dienste/anfragen")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    staff = login_session(app.test_client(), editor)
    assert staff.get("/admin/dienste/anfragen").status_code == 200
    response = staff.post("/admin/dienste/anfragen/1", data={"aktion": "reserviert"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)


def test_staff_reserves_the_lot_of_a_request(
    app: Flask,
    client: FlaskClient,
    engine: Engine,
    editor: Staff,  # noqa: F811
    restorer: Restorer,  # noqa: F811
) -> None:
    fid = restorer.keep(LOTS, lots_with(engine, "frei")[0], "status")
    request_id = submit(client, fid)
    before = version_of(engine, LOTS)
    etag = client.get("/holzverkauf").headers["ETag"]
    tile = tile_of(engine, fid)
    assert tile_status(client, tile, fid) == "frei"
    staff = login_session(app.test_client(), editor)
    listing = staff.get("/admin/dienste/anfragen").get_data(as_text=True)
    assert f'data-request="{request_id}"' in listing and "Erika Mustermann" in listing
    token = csrf_token(staff, f"/admin/dienste/anfragen/{request_id}")
    response = staff.post(
        f"/admin/dienste/anfragen/{request_id}", data={"aktion": "reserviert", "csrf_token": token}
    )
    assert response.status_code == 302
    assert value_of(engine, LOTS, fid, "status") == "reserviert"
    after = version_of(engine, LOTS)
    assert after > before
    with engine.connect() as conn:
        history = conn.execute(
            text(
                "SELECT action, created_by FROM buergergis.layer_version WHERE layer_id = :id AND version = :v"
            ),
            {"id": LOTS, "v": after},
        ).one()
        audit = conn.execute(
            text(
                "SELECT action, details FROM buergergis.audit_log WHERE layer_id = :id AND version = :v ORDER BY id"
            ),
            {"id": LOTS, "v": after},
        ).all()
        closed = conn.execute(
            text("SELECT status, bearbeitet_von FROM buergergis.anfrage WHERE id = :id"),
            {"id": request_id},
        ).one()
    assert tuple(history) == ("edit", editor.name)
    assert [a.action for a in audit] == ["feature_edit", "kaufanfrage_bearbeitet"]
    assert audit[0].details["changes"]["status"] == ["frei", "reserviert"]
    assert tuple(closed) == ("bearbeitet", editor.name)
    page = client.get("/holzverkauf")
    assert page.headers["ETag"] != etag
    assert f'data-fid="{fid}" data-status="reserviert"' in page.get_data(as_text=True)
    item = client.get(f"/ogc/collections/{LOTS}/items/{quote(fid)}?f=json")
    assert item.status_code == 200
    assert item.get_json()["properties"]["status"] == "reserviert"
    assert client.get(request_url(fid)).status_code == 409
    assert tile_status(client, tile, fid) == "reserviert"


def tile_of(engine: Engine, fid: str, z: int = 15) -> str:
    """The web-mercator tile ``z/x/y`` containing the lot's inner point."""
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p FROM {layer_view(LOTS)} WHERE fid = :f) s"  # noqa: S608
            ),  # noqa: RUF100, S608
            {"f": fid},
        ).one()
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


def tile_status(client: FlaskClient, tile: str, fid: str) -> str:
    """The lot's ``status`` in the vector tile."""
    response = client.get(f"/tiles/{LOTS}/{tile}.mvt")
    assert response.status_code == 200, response.get_data(as_text=True)
    decoded = mapbox_vector_tile.decode(response.data)
    features = [f for layer in decoded.values() for f in layer["features"]]
    found = [
        f["properties"].get("status")
        for f in features
        if f["properties"].get("los_nr") == fid or f.get("id") == fid
    ]
    assert found, f"lot {fid} not in tile {tile}"
    return str(found[0])
