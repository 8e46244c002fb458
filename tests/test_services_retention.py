"""Personal data (DSGVO): retention and ``buergergis anfragen purge``, export and deletion of one
request by reference number, staff roles per service, and no SQL parameters in the log."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from buergergis.cli import cli
from buergergis.db.engine import make_engine
from buergergis.settings import Settings
from tests.admin_support import Staff, admin, csrf_token, editor, login_session  # noqa: F401
from tests.anfragen_support import clear_requests, first_where, generous, submit  # noqa: F401

pytestmark = pytest.mark.usefixtures("demo_layers", "generous")


def _latest(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, reference FROM buergergis.anfrage ORDER BY id DESC LIMIT 1")
        ).one()
    return int(row.id), str(row.reference)


def _exists(engine: Engine, request_id: int) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT count(*) FROM buergergis.anfrage WHERE id = :i"), {"i": request_id}
            ).scalar_one()
        )


def test_closing_sets_the_deletion_date_and_purge_deletes_when_due(
    client: FlaskClient, engine: Engine, settings: Settings, editor: Staff,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    clear_requests(engine)
    fid = first_where(engine, "fahrzeugverkauf", "status = 'verfügbar'")
    assert submit(client, "fahrzeugverkauf", fid, name="Fritz Fahrer").status_code == 303
    request_id, reference = _latest(engine)
    staff = login_session(client, editor)
    detail = staff.get(f"/admin/dienste/anfragen/{request_id}").get_data(as_text=True)
    assert "Fritz Fahrer" in detail and "90 Tage nach Abschluss" in detail
    token = csrf_token(staff, f"/admin/dienste/anfragen/{request_id}")
    done = staff.post(
        f"/admin/dienste/anfragen/{request_id}", data={"aktion": "erledigt", "csrf_token": token}
    )
    assert done.status_code == 302
    with engine.connect() as conn:
        days = conn.execute(
            text(
                "SELECT extract(day FROM purge_after - bearbeitet_at) FROM buergergis.anfrage WHERE id = :i"
            ),
            {"i": request_id},
        ).scalar_one()
    assert int(days) == 90
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("BUERGERGIS_VAR_DIR", str(settings.var))
    caplog.set_level(logging.INFO)
    assert CliRunner().invoke(cli, ["anfragen", "purge"]).exit_code == 0
    assert _exists(engine, request_id)  # not yet due
    with engine.begin() as conn:  # 91 days later
        conn.execute(
            text(
                "UPDATE buergergis.anfrage SET purge_after = now() - interval '1 day' WHERE id = :i"
            ),
            {"i": request_id},
        )
    result = CliRunner().invoke(cli, ["anfragen", "purge"])
    assert result.exit_code == 0 and result.output.startswith("1 Anfragen")
    assert not _exists(engine, request_id)
    assert "Fritz" not in caplog.text and reference not in caplog.text
    with engine.connect() as conn:
        mails = conn.execute(text("SELECT count(*) FROM buergergis.mail_outbox")).scalar_one()
    assert mails == 0  # the mails of the request went with it


def test_export_and_delete_one_persons_request(
    client: FlaskClient,
    engine: Engine,
    editor: Staff,  # noqa: F811
) -> None:
    clear_requests(engine)
    fid = first_where(engine, "kitas", "true")
    assert submit(client, "kitas", fid, name="Klara Kita").status_code == 303
    request_id, reference = _latest(engine)
    staff = login_session(client, editor)
    found = staff.get(f"/admin/dienste/anfragen/suche?vorgang={reference.lower()}")
    assert found.status_code == 302 and found.headers["Location"].endswith(
        f"/anfragen/{request_id}"
    )
    export = staff.get(f"/admin/dienste/anfragen/{request_id}/export.json")
    body = json.loads(export.get_data(as_text=True))
    assert body["anfrage"]["name"] == "Klara Kita" and body["anfrage"]["reference"] == reference
    assert len(body["emails"]) == 2
    token = csrf_token(staff, f"/admin/dienste/anfragen/{request_id}")
    gone = staff.post(f"/admin/dienste/anfragen/{request_id}/loeschen", data={"csrf_token": token})
    assert gone.status_code == 302 and not _exists(engine, request_id)
    with engine.connect() as conn:
        audit = (
            conn.execute(
                text("SELECT details::text FROM buergergis.audit_log WHERE action LIKE 'anfrage_%'")
            )
            .scalars()
            .all()
        )
    assert audit and all("Klara" not in a for a in audit)


def test_roles_per_service_admin_reads_applications(
    client: FlaskClient,
    engine: Engine,
    admin: Staff,  # noqa: F811
) -> None:
    clear_requests(engine)
    fid = first_where(engine, "stellenangebote", "bewerbungsfrist >= current_date")
    import io

    pdf = b"%PDF-1.4\n%%EOF\n"
    from tests.anfragen_support import form_data, form_token

    token = form_token(client, "stellenangebote", fid)
    response = client.post(
        f"/anfrage/stellenangebote/{fid}",
        data={**form_data(token), "datei": (io.BytesIO(pdf), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    request_id, _ref = _latest(engine)
    staff = login_session(client, admin)
    assert staff.get(f"/admin/dienste/anfragen/{request_id}").status_code == 200
    got = staff.get(f"/admin/dienste/anfragen/{request_id}/anhang")
    assert got.status_code == 200 and got.data == pdf and got.mimetype == "application/pdf"


def test_a_failing_query_does_not_log_its_parameters(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(settings, application_name="buergergis-tests-log")
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("buergergis.test")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO buergergis.anfrage (reference, secret_hash, layer_id, fid, kind,"
                    " name, kontakt) VALUES (:r, '', 'x', 'x', 'x', :n, :k)"
                ),
                {"r": "XX-1", "n": "G", "k": "geheim.person@example.de"},  # name too short
            )
    except IntegrityError:
        log.exception("database error")
    finally:
        engine.dispose()
    assert "database error" in caplog.text and "parameters hidden" in caplog.text
    assert "geheim.person@example.de" not in caplog.text
