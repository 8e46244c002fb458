"""Requests (Anfragen) for every service layer, against real PostGIS: the form from the layer
definition, single-use tokens, limits shared by all workers, places and the waiting list,
application PDFs, status by reference number and secret, redirects of the old URLs."""

from __future__ import annotations

import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis import create_app
from buergergis.services import anfragen, config
from buergergis.services.request_form import Submission, form_token
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from tests.admin_support import Staff, editor, login_session  # noqa: F401
from tests.anfragen_support import (
    clear_requests,
    count,
    first_where,
    form_data,
    generous,  # noqa: F401
    small_activity,
    submit,
)
from tests.anfragen_support import form_token as page_token

pytestmark = pytest.mark.usefixtures("demo_layers")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _confirmation(client: FlaskClient, response) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'data-testid="reference">([^<]+)<', page)
    secret = re.search(r'data-testid="secret">([^<]+)<', page)
    assert reference and secret, page[:800]
    return reference.group(1), secret.group(1), page


@pytest.mark.usefixtures("generous")
def test_kaufanfrage_from_the_layer_definition(client: FlaskClient, engine: Engine) -> None:
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    page = client.get(f"/anfrage/holzverkauf/{fid}")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert "Kaufanfrage" in page.get_data(as_text=True)
    before = count(engine)
    reference, secret, done = _confirmation(client, submit(client, "holzverkauf", fid))
    assert reference.startswith("HV-") and count(engine) == before + 1
    status = client.post("/anfrage/status", data={"vorgang": reference, "kennwort": secret})
    assert status.status_code == 200 and "eingegangen" in status.get_data(as_text=True)
    wrong = client.post("/anfrage/status", data={"vorgang": reference, "kennwort": "falsch"})
    assert wrong.status_code == 404 and "Erika" not in wrong.get_data(as_text=True)


def test_a_taken_lot_and_an_unknown_one_take_no_request(
    client: FlaskClient, engine: Engine
) -> None:
    taken = first_where(engine, "holzverkauf", "status = 'reserviert'")
    response = client.get(f"/anfrage/holzverkauf/{taken}")
    assert response.status_code == 409 and "reserviert" in response.get_data(as_text=True)
    assert client.get("/anfrage/holzverkauf/GIBT-ES-NICHT").status_code == 404
    assert client.get("/anfrage/ortsteile/x").status_code == 404  # no service block


def test_old_holzverkauf_urls_redirect(client: FlaskClient, engine: Engine) -> None:
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    response = client.get(f"/holzverkauf/anfrage?los={fid}")
    assert response.status_code == 301 and response.headers["Location"].endswith(
        f"/anfrage/holzverkauf/{fid}"
    )
    posted = client.post("/holzverkauf/anfrage", data={"los": fid})
    assert posted.status_code == 308
    assert (
        client.get("/holzverkauf/anfrage/bestaetigung/alt")
        .headers["Location"]
        .endswith("/anfrage/status")
    )


@pytest.mark.usefixtures("generous")
def test_a_form_token_is_single_use_and_the_input_survives(
    client: FlaskClient, engine: Engine
) -> None:
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    token = page_token(client, "holzverkauf", fid)
    before = count(engine)
    first = client.post(f"/anfrage/holzverkauf/{fid}", data=form_data(token, name="Erika Erste"))
    assert first.status_code == 303
    replies = [
        client.post(f"/anfrage/holzverkauf/{fid}", data=form_data(token, name="Otto Zweiter"))
        for _ in range(5)
    ]
    assert {r.status_code for r in replies} == {409}
    page = replies[0].get_data(as_text=True)
    assert "bereits abgeschickt" in page and 'value="Otto Zweiter"' in page
    assert count(engine) == before + 1


def test_limits_hold_across_workers_and_failed_attempts_do_not_count(
    app: Flask, settings: Settings, engine: Engine
) -> None:
    clear_requests(engine)
    second = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
        }
    )
    limits = ((60, 3),)
    for application in (app, second):
        application.config["BUERGERGIS_ANFRAGE_LIMITS"] = limits
    workers = [app.test_client(), second.test_client()]
    try:
        fid = first_where(engine, "holzverkauf", "status = 'frei'")
        invalid = workers[0].post(
            f"/anfrage/holzverkauf/{fid}",
            data=form_data(page_token(workers[0], "holzverkauf", fid), kontakt="?"),
        )
        assert invalid.status_code == 400  # a failed attempt …
        codes = [submit(workers[i % 2], "holzverkauf", fid).status_code for i in range(4)]
        assert codes == [303, 303, 303, 429]  # … does not use up the allowance of 3
        refused = submit(workers[1], "holzverkauf", fid, nachricht="Mein langer Text")
        assert refused.status_code == 429
        assert "Mein langer Text" in refused.get_data(as_text=True)
        assert count(engine, "holzverkauf") == 3
    finally:
        app.config.pop("BUERGERGIS_ANFRAGE_LIMITS", None)
        clear_requests(engine)


@pytest.mark.usefixtures("generous")
def test_text_limits_are_shown_and_never_cut(client: FlaskClient, engine: Engine) -> None:
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    form = client.get(f"/anfrage/holzverkauf/{fid}").get_data(as_text=True)
    assert "Höchstens 2000 Zeichen" in form and "maxlength" not in form
    long_text = "x" * 2001
    response = submit(client, "holzverkauf", fid, nachricht=long_text)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Höchstens 2000 Zeichen." in page and long_text in page


def test_places_are_taken_atomically_then_the_waiting_list(
    app: Flask, engine: Engine, settings: Settings
) -> None:
    clear_requests(engine)
    fid, places = small_activity(engine)
    with engine.connect() as conn:
        record = get_layer(conn, "ferienaktionen")
    assert record is not None
    service = config.require_service(record)
    context = anfragen.Context("10.0.0.1", "http://test", settings.var, ((60, 10_000),))

    def one(i: int) -> bool:
        token = form_token("test-secret", "ferienaktionen", fid)
        sub = Submission(f"Kind {i} Eltern", "eltern@example.de", f"Kind {i}, 8", None, "", token)
        return anfragen.submit(engine, record, service, fid, sub, context).request.warteliste

    with ThreadPoolExecutor(max_workers=6) as pool:
        waiting = list(pool.map(one, range(places + 4)))
    assert waiting.count(False) == places and waiting.count(True) == 4
    page = app.test_client().get(f"/anfrage/ferienaktionen/{fid}").get_data(as_text=True)
    assert 'data-testid="waiting-list"' in page and 'data-testid="places-left">0<' in page
    clear_requests(engine)


@pytest.mark.usefixtures("generous")
def test_job_application_with_one_checked_pdf(
    client: FlaskClient,
    engine: Engine,
    settings: Settings,
    editor: Staff,  # noqa: F811
) -> None:
    fid = first_where(engine, "stellenangebote", "bewerbungsfrist >= current_date")
    token = page_token(client, "stellenangebote", fid)
    not_pdf = client.post(
        f"/anfrage/stellenangebote/{fid}",
        data={
            **form_data(token, name="Bea Bewerberin"),
            "datei": (__import__("io").BytesIO(b"MZ\x90"), "cv.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 400
    page = not_pdf.get_data(as_text=True)
    assert "keine PDF-Datei" in page and 'value="Bea Bewerberin"' in page
    import io

    ok = client.post(
        f"/anfrage/stellenangebote/{fid}",
        data={
            **form_data(token, name="Bea Bewerberin"),
            "datei": (io.BytesIO(PDF), "Lebenslauf.pdf"),
        },
        content_type="multipart/form-data",
    )
    reference, _secret, _page = _confirmation(client, ok)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, anhang, purge_after FROM buergergis.anfrage WHERE reference = :r"),
            {"r": reference},
        ).one()
    stored = settings.var / row.anhang
    assert stored.read_bytes() == PDF and stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert Path(settings.root / "static") not in stored.resolve().parents
    assert row.purge_after is not None  # six months after the deadline

    staff = login_session(client, editor)  # editors do not read applications
    assert staff.get(f"/admin/dienste/anfragen/{row.id}/anhang").status_code == 403
    assert staff.get(f"/admin/dienste/anfragen/{row.id}").status_code == 403
    listing = staff.get("/admin/dienste/anfragen?status=alle").get_data(as_text=True)
    assert reference not in listing


def test_flask_limiter_counters_in_postgresql_are_shared_by_workers(engine: Engine) -> None:
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    import buergergis.store.services.limits  # noqa: F401 - registers "buergergis://"

    workers = [
        FixedWindowRateLimiter(storage_from_string("buergergis://", engine=engine))
        for _ in range(2)
    ]
    limit = parse("3 per minute")
    key = "test-login|192.0.2.9|erika"
    workers[0].storage.clear(limit.key_for(key))
    hits = [workers[i % 2].hit(limit, key) for i in range(4)]
    assert hits == [True, True, True, False]  # each worker alone would have allowed 4
    assert workers[1].get_window_stats(limit, key).remaining == 0
    assert workers[0].storage.check()
    workers[0].storage.clear(limit.key_for(key))
    assert workers[1].hit(limit, key)
