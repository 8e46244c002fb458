"""E-mail subscriptions (issue 16): double opt-in, a notice about new features (found like the
Atom feeds find them) delivered through the outbox to a real SMTP server (aiosmtpd), one-click
unsubscribe that deletes the address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.catalog.models import Attribute, Source, Style, VectorLayer
from buergergis.cli import cli
from buergergis.errors import InvalidParameter
from buergergis.ingest.pipeline import load_layer
from buergergis.services import mail, subscriptions
from buergergis.settings import Settings
from tests.anfragen_support import SmtpServer, smtp_server  # noqa: F401

LAYER = "abo-probe"
CITIZEN = "jobsuche@example.de"


@pytest.fixture(scope="module", autouse=True)
def _drop_probe_layer(engine: Engine) -> Iterator[None]:
    """The probe layer and its subscriptions (ON DELETE CASCADE) are gone after this module."""
    yield
    from buergergis.store import lifecycle

    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM buergergis.layer WHERE id = :i"), {"i": LAYER}).first():
            lifecycle.delete(conn, LAYER, actor="test")
            lifecycle.purge(conn, LAYER)
        left = conn.execute(
            text("SELECT count(*) FROM buergergis.subscription WHERE layer_id = :i"), {"i": LAYER}
        ).scalar_one()
    assert left == 0


def _write(path: Path, rows: list[tuple[str, str, float, float]]) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"nr": nr, "titel": titel},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for nr, titel, lon, lat in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")


def _load(engine: Engine, settings: Settings, path: Path) -> None:
    definition = VectorLayer(
        id=LAYER,
        title="Stellenangebote (Test)",
        title_en="Jobs (test)",
        source=Source(path=str(path), format="geojson"),
        id_column="nr",
        attributes=(Attribute(name="nr"), Attribute(name="titel")),
        style=Style(color="#224488", label="titel"),
    )
    load_layer(engine, settings, definition)


def _outbox_to(engine: Engine, recipient: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT subject, body FROM buergergis.mail_outbox WHERE recipient = :r ORDER BY id"
            ),
            {"r": recipient},
        )
        return [(r.subject, r.body) for r in rows]


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM buergergis.subscription WHERE email = :e"),
                {"e": CITIZEN},
            ).scalar_one()
        )


def test_parse_email() -> None:
    assert subscriptions.parse_email("  a.b@hameln.de ") == "a.b@hameln.de"
    for bad in ("", "a@b", "a b@c.de", "a@b.de\r\nBcc: x@y.de", "x" * 250 + "@a.de", None):
        with pytest.raises(InvalidParameter):
            subscriptions.parse_email(bad)


def test_subscribe_confirm_notify_unsubscribe(
    client: FlaskClient,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    source = tmp_path / "jobs.geojson"
    _write(source, [("J1", "Gärtnerin", 9.35, 52.10), ("J2", "Förster", 9.36, 52.11)])
    _load(engine, settings, source)

    # 1. the form, and the request for a confirmation mail
    assert "E-Mail" in client.get(f"/abo/{LAYER}").get_data(as_text=True)
    assert client.post(f"/abo/{LAYER}", data={"email": "kein-mail"}).status_code == 400
    sent = client.post(f"/abo/{LAYER}", data={"email": CITIZEN})
    assert sent.status_code == 200 and "bestätigen" in sent.get_data(as_text=True)
    settings_mail = mail.MailSettings(smtp_server.url, "rathaus@hameln.example")
    assert mail.send_due(engine, settings_mail).sent >= 1
    (confirmation,) = smtp_server.inbox.to(CITIZEN)
    body = confirmation.get_payload(decode=True).decode()
    link = re.search(r"http://localhost(/abo/bestaetigen/[A-Za-z0-9_-]+)", body)
    assert link, body
    token = link.group(1).rsplit("/", 1)[1]

    # not confirmed yet: a new job brings no mail
    _write(source, [("J1", "Gärtnerin", 9.35, 52.10), ("J2", "Förster", 9.36, 52.11),
                    ("J3", "Erzieher", 9.37, 52.12)])  # fmt: skip
    _load(engine, settings, source)
    assert subscriptions.notify(engine, "https://karte.hameln.de") == 0

    # 2. double opt-in: the link shows a button, the button confirms
    page = client.get(link.group(1))
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert "bestätigt" in client.post(link.group(1)).get_data(as_text=True)

    # features known at confirmation are no news; a job after it is
    assert subscriptions.notify(engine, "https://karte.hameln.de") == 0
    _write(source, [("J1", "Gärtnerin", 9.35, 52.10), ("J2", "Förster", 9.36, 52.11),
                    ("J3", "Erzieher", 9.37, 52.12), ("J 4", "Stadtplanerin", 9.38, 52.13)])  # fmt: skip
    _load(engine, settings, source)
    result = CliRunner().invoke(
        cli,
        ["abo", "benachrichtigen"],
        env={
            "DATABASE_URL": str(settings.database_url),
            "BUERGERGIS_VAR_DIR": str(settings.var),
            "BUERGERGIS_PUBLIC_URL": "https://karte.hameln.de",
        },  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 ")
    assert subscriptions.notify(engine, "https://karte.hameln.de") == 0  # told once only
    assert mail.send_due(engine, settings_mail).sent == 1
    notices = smtp_server.inbox.to(CITIZEN)[1:]
    assert len(notices) == 1
    subject = str(make_header(decode_header(notices[0]["Subject"])))
    assert subject == "Neu in „Stellenangebote (Test)“ (1)"
    text_body = notices[0].get_payload(decode=True).decode()
    assert (
        f"Stadtplanerin: https://karte.hameln.de/?layers={LAYER}&feature={LAYER}:J%204" in text_body
    )
    assert "Erzieher" not in text_body and "Gärtnerin" not in text_body
    assert f"https://karte.hameln.de/abo/abmelden/{token}" in text_body

    # 3. one click unsubscribes and deletes the address
    assert _rows(engine) == 1
    gone = client.get(f"/abo/abmelden/{token}")
    assert gone.status_code == 200 and "gelöscht" in gone.get_data(as_text=True)
    assert _rows(engine) == 0
    assert client.get(f"/abo/abmelden/{token}").status_code == 404
    assert client.post(f"/abo/bestaetigen/{token}").status_code == 404


def test_second_request_for_a_confirmed_address_sends_nothing(
    client: FlaskClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "jobs.geojson"
    _write(source, [("J1", "Gärtnerin", 9.35, 52.10)])
    _load(engine, settings, source)
    email = "zweimal@example.de"
    client.post(f"/abo/{LAYER}?lang=en", data={"email": email, "lang": "en"})
    ((subject, body),) = _outbox_to(engine, email)
    assert subject.startswith("Please confirm")
    token = re.search(r"/abo/bestaetigen/([A-Za-z0-9_-]+)", body).group(1)  # type: ignore[union-attr]
    client.post(f"/abo/bestaetigen/{token}")
    again = client.post(f"/abo/{LAYER}", data={"email": email})
    assert again.status_code == 200  # the same answer: nobody learns who subscribed
    assert len(_outbox_to(engine, email)) == 1
    client.post(f"/abo/abmelden/{token}")  # RFC 8058 one-click POST
    with engine.connect() as conn:
        assert not conn.execute(
            text("SELECT 1 FROM buergergis.subscription WHERE email = :e"), {"e": email}
        ).first()


@pytest.mark.parametrize(
    "path",
    ["/abo/gibt-es-nicht", "/abo/bestaetigen/kurz", "/abo/abmelden/" + "x" * 40],
)
def test_unknown_layers_and_tokens(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404
