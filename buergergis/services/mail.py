"""E-mail that is never lost: mails go into the outbox with the request, a sender delivers them.

``BUERGERGIS_SMTP_URL`` (``smtp://[user:password@]host:port``; STARTTLS when the server offers
it, ``smtps://`` for implicit TLS) and ``BUERGERGIS_MAIL_FROM`` configure delivery. The sender
(``buergergis mail send``, with ``--loop`` as a service) claims one due mail at a time with
``FOR UPDATE SKIP LOCKED``, sends it and marks it sent in the same transaction; a failure
schedules the next attempt with exponential backoff. Without SMTP the mails stay in the outbox
and the staff area lists them. Staff mails carry the reference and a link, never the citizen's
personal data.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Engine

from buergergis.errors import DefinitionError
from buergergis.store.services import outbox
from buergergis.store.services.requests import ServiceRequest

log = logging.getLogger(__name__)
URL_VAR = "BUERGERGIS_SMTP_URL"
FROM_VAR = "BUERGERGIS_MAIL_FROM"
DEFAULT_FROM = "buergergis@localhost"
MAX_BACKOFF = 6 * 3600
TIMEOUT = 15


@dataclass(frozen=True)
class MailSettings:
    """Where mails go (``url`` ``None``: keep them in the outbox)."""

    url: str | None = None
    sender: str = DEFAULT_FROM

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        """Read ``BUERGERGIS_SMTP_URL`` and ``BUERGERGIS_MAIL_FROM``."""
        env = os.environ if environ is None else environ
        url = (env.get(URL_VAR) or "").strip() or None
        if url:
            parse_url(url)
        return cls(url, (env.get(FROM_VAR) or "").strip() or DEFAULT_FROM)


@dataclass(frozen=True)
class SmtpTarget:
    """A parsed SMTP URL."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None


def parse_url(url: str) -> SmtpTarget:
    """``smtp://host:port`` or ``smtps://user:pw@host:465``; a clear error otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise DefinitionError(f"{URL_VAR}: erwartet smtp://host:port oder smtps://host:port")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        parts.hostname,
        parts.port or (465 if tls else 25),
        tls,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def backoff(attempts: int) -> int:
    """Seconds until the next attempt after ``attempts`` failures (1 min, 2, 4 … ≤ 6 h)."""
    return int(min(60 * 2 ** max(attempts - 1, 0), MAX_BACKOFF))


# ---- composing (in the request's transaction) -----------------------------------------------


def queue_request_mails(
    conn: Connection,
    request: ServiceRequest,
    *,
    service_title: str,
    notify: str | None,
    secret: str,
    public_url: str,
) -> int:
    """Staff mail (reference and link only) and citizen confirmation; returns how many."""
    base = public_url.rstrip("/")
    queued = 0
    waiting = " (Warteliste)" if request.warteliste else ""
    if notify:
        outbox.add(
            conn,
            anfrage_id=request.id,
            recipient=notify,
            audience="staff",
            subject=f"Neue Anfrage {request.reference} – {service_title}{waiting}",
            body=(
                f"Neue Anfrage für „{service_title}“{waiting}.\n\n"
                f"Vorgangsnummer: {request.reference}\n"
                f"Angebot: {request.fid}\n\n"
                f"Bearbeiten: {base}/admin/dienste/anfragen/{request.id}\n\n"
                "Persönliche Angaben stehen nur in der Verwaltung, nicht in dieser E-Mail.\n"
            ),
        )
        queued += 1
    if request.email:
        state = "Sie stehen auf der Warteliste." if request.warteliste else "Sie ist eingegangen."
        outbox.add(
            conn,
            anfrage_id=request.id,
            recipient=request.email,
            audience="citizen",
            subject=f"Ihre Anfrage {request.reference} bei der Stadt Hameln",
            body=(
                f"Guten Tag,\n\nvielen Dank für Ihre Anfrage „{service_title}“. {state}\n\n"
                f"Vorgangsnummer: {request.reference}\n"
                f"Kennwort für die Statusabfrage: {secret}\n\n"
                f"Status abfragen: {base}/anfrage/status\n\n"
                "Ihre Stadt Hameln\n"
            ),
        )
        queued += 1
    return queued


# ---- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    failed: int = 0


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if target.implicit_tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            target.host, target.port, timeout=TIMEOUT, context=context
        )
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
    if target.user:
        client.login(target.user, target.password or "")
    return client


def _message(mail: outbox.OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<outbox-{mail.id}@buergergis>"
    message.set_content(mail.body)
    return message


def send_due(engine: Engine, settings: MailSettings, limit: int = 100) -> SendReport:
    """Deliver due mails one by one (each in its own transaction); never raises for SMTP."""
    if not settings.url:
        return SendReport()
    target = parse_url(settings.url)
    client: smtplib.SMTP | None = None
    sent = failed = 0
    try:
        for _ in range(limit):
            with engine.begin() as conn:
                due = outbox.claim_due(conn, 1)
                if not due:
                    break
                mail = due[0]
                try:
                    client = client or _connect(target)
                    client.send_message(_message(mail, settings.sender))
                except (OSError, smtplib.SMTPException) as exc:
                    outbox.mark_failed(
                        conn, mail.id, type(exc).__name__, backoff(mail.attempts + 1)
                    )
                    failed += 1
                    client = None
                    if failed >= 3:
                        break
                    continue
                outbox.mark_sent(conn, mail.id)
                sent += 1
    finally:
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
    if sent or failed:
        log.info("mail outbox: %d sent, %d failed (retried later)", sent, failed)
    return SendReport(sent, failed)


def run_forever(engine: Engine, settings: MailSettings, interval: float = 10.0) -> None:
    """The background sender: deliver, wait, repeat (resumes where it stopped after a restart)."""
    while True:
        send_due(engine, settings)
        time.sleep(interval)
