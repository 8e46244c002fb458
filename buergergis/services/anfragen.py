"""Anfragen for every service layer that declares a request form.

One transaction per submission: the single-use token is marked, the per-address counters in
PostgreSQL are counted, the feature is checked (it exists and its status accepts requests),
places are counted under a per-feature lock (a full activity puts the request on the waiting
list), the request is stored and its mails are queued in the outbox. Anything that fails rolls
all of it back — so a refused attempt uses up neither the token nor the citizen's allowance.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, Engine

from buergergis.catalog.service import RequestForm, Service
from buergergis.errors import Conflict, InvalidParameter, NotFound, TooManyRequests
from buergergis.services import attachments, mail
from buergergis.services.request_form import Submission, token_hash
from buergergis.store.catalog import LayerRecord
from buergergis.store.services import limits, requests
from buergergis.store.services.requests import NewRequest, ServiceRequest

CONFIRM_SALT = "buergergis.anfrage.bestaetigung"
CONFIRM_MAX_AGE = 24 * 3600
#: Submissions per address: (window in seconds, allowed) — counted across all workers.
LIMITS: tuple[tuple[int, int], ...] = ((60, 5), (86400, 30))
STATUS_TEXT = {"neu": "eingegangen, noch nicht bearbeitet", "bearbeitet": "bearbeitet"}


@dataclass(frozen=True)
class Offer:
    """The feature a form is for: its values and how many places are left."""

    fid: str
    values: dict[str, object]
    places_left: int | None = None

    @property
    def full(self) -> bool:
        """No place left (requests go to the waiting list)."""
        return self.places_left is not None and self.places_left <= 0


@dataclass(frozen=True)
class Created:
    """A stored request and the secret the citizen needs for the status page."""

    request: ServiceRequest
    secret: str


@dataclass(frozen=True)
class Upload:
    """An attachment as the web layer received it."""

    filename: str | None
    data: bytes


def _names(record: LayerRecord, service: Service) -> list[str]:
    known = [a.name for a in record.attributes if a.type != "json"]
    return known


def offer(conn: Connection, record: LayerRecord, service: Service, fid: str) -> Offer:
    """The feature of a form: 404 unknown, 409 when its status takes no requests."""
    values = requests.feature_values(conn, record.id, fid, _names(record, service))
    if values is None:
        raise NotFound(
            f"Das Angebot '{fid[:60]}' gibt es nicht.",
            description_en=f"There is no offer '{fid[:60]}'.",
        )
    if not service.accepts(values):
        status = values.get(service.status.attribute) if service.status else None
        raise Conflict(
            f"„{fid[:60]}“ ist {status or 'nicht verfügbar'} und nimmt keine Anfragen an. "
            "Bitte wählen Sie ein anderes Angebot.",
            description_en=f"“{fid[:60]}” is {status or 'not available'} and takes no requests. "
            "Please choose another offer.",
        )
    left = None
    if service.capacity:
        total = values.get(service.capacity)
        if isinstance(total, int):
            left = max(total - requests.places_taken(conn, record.id, fid), 0)
    return Offer(fid, values, left)


def _count(conn: Connection, address: str, limits_: tuple[tuple[int, int], ...]) -> None:
    for window, allowed in limits_:
        if limits.hit(conn, f"anfrage:{address}:{window}", window) > allowed:
            raise TooManyRequests(
                "Von Ihrem Anschluss kamen gerade sehr viele Anfragen. Ihre Angaben stehen noch "
                "im Formular – bitte senden Sie es später erneut.",
                description_en="Very many requests came from your connection just now. Your "
                "details are still in the form – please send it again later.",
            )


def _purge_after(service: Service, values: dict[str, object]) -> date | None:
    """Applications: due for deletion ``retention_days`` after the job closed."""
    form = service.request
    end = values.get(service.valid_until) if service.valid_until else None
    if form is None or form.kind != "bewerbung" or not isinstance(end, date):
        return None
    return end + timedelta(days=form.retention_days)


@dataclass(frozen=True)
class Context:
    """What a submission needs besides the input."""

    address: str
    public_url: str
    var_dir: Path
    limits: tuple[tuple[int, int], ...] = LIMITS


def submit(
    engine: Engine,
    record: LayerRecord,
    service: Service,
    fid: str,
    submission: Submission,
    context: Context,
    upload: Upload | None = None,
) -> Created:
    """Store the request with its mails (one transaction); raises a German 4xx when refused."""
    form = service.request
    if form is None:
        raise NotFound(
            f"Für „{service.title}“ gibt es kein Anfrageformular.",
            description_en=f"“{service.title}” has no request form.",
        )
    data = _attachment(form, upload)
    secret = secrets.token_urlsafe(9)
    stored: str | None = None
    try:
        with engine.begin() as conn:
            if not requests.use_token(conn, token_hash(submission.token)):
                raise Conflict(
                    "Dieses Formular wurde bereits abgeschickt. Ihre Anfrage ist gespeichert; "
                    "für eine weitere Anfrage senden Sie das Formular bitte erneut.",
                    description_en="This form has already been sent. Your request is stored; "
                    "for another request please send the form again.",
                )
            _count(conn, context.address, context.limits)
            requests.share_layer_lock(conn, record.id)
            requests.lock_feature(conn, record.id, fid)
            found = offer(conn, record, service, fid)
            if found.full and not service.waiting_list:
                raise Conflict("Alle Plätze sind vergeben.", description_en="All places are taken.")
            created = requests.insert(
                conn,
                _new_request(record, form, fid, submission, upload),
                prefix=service.reference_prefix,
                secret_hash=_hash(secret),
                waiting=found.full,
                purge_after=_purge_after(service, found.values),
            )
            if data is not None:
                stored = attachments.store(context.var_dir, created.id, data)
                requests.set_attachment(conn, created.id, stored)
            mail.queue_request_mails(
                conn, created, service_title=service.title, notify=form.notify,
                secret=secret, public_url=context.public_url,
            )  # fmt: skip
    except BaseException:
        if stored:
            attachments.remove(context.var_dir, stored)
        raise
    return Created(created, secret)


def _attachment(form: RequestForm, upload: Upload | None) -> bytes | None:
    if not form.attachment:
        return None
    return attachments.check_pdf(upload.data if upload else b"", form.attachment_max_mb)


def _new_request(
    record: LayerRecord, form: RequestForm, fid: str, sub: Submission, upload: Upload | None
) -> NewRequest:
    return NewRequest(
        layer_id=record.id, fid=fid, kind=form.kind, name=sub.name, kontakt=sub.kontakt,
        email=sub.email, teilnehmer=sub.teilnehmer, anliegen=sub.anliegen,
        nachricht=sub.nachricht,
        anhang_name=attachments.safe_name(upload.filename) if upload and form.attachment else None,
    )  # fmt: skip


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ---- confirmation and status -------------------------------------------------------------------


def confirmation_token(app_secret: str, created: Created) -> str:
    """The signed part of the confirmation link (request id and the citizen's secret)."""
    serializer = URLSafeTimedSerializer(app_secret, salt=CONFIRM_SALT)
    return str(serializer.dumps({"id": created.request.id, "s": created.secret}))


def confirmed(app_secret: str, token: str) -> tuple[int, str]:
    """Request id and secret of a confirmation link (400 when invalid or too old)."""
    try:
        value = URLSafeTimedSerializer(app_secret, salt=CONFIRM_SALT).loads(
            token, max_age=CONFIRM_MAX_AGE
        )
    except (BadSignature, SignatureExpired):
        raise InvalidParameter(
            "Dieser Bestätigungslink ist ungültig oder abgelaufen. Ihre Anfrage ist davon nicht "
            "betroffen; den Stand sehen Sie mit Vorgangsnummer und Kennwort unter /anfrage/status.",
            description_en="This confirmation link is invalid or has expired. Your request is "
            "not affected; see its status with reference number and password at /anfrage/status.",
        ) from None
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        raise InvalidParameter(
            "Dieser Bestätigungslink ist ungültig.",
            description_en="This confirmation link is invalid.",
        )
    return int(value["id"]), str(value.get("s", ""))


def get(conn: Connection, request_id: int) -> ServiceRequest:
    """One request (404 when it no longer exists)."""
    found = requests.get_request(conn, request_id)
    if found is None:
        raise NotFound(
            "Diese Anfrage gibt es nicht (mehr).",
            description_en="This request does not exist (any more).",
        )
    return found


def lookup(conn: Connection, reference: str, secret: str) -> ServiceRequest:
    """The request of a reference number when the secret matches (one 404 for both cases)."""
    found = requests.by_reference(conn, reference.strip()[:40]) if reference else None
    if found is None or not found[1] or not hmac.compare_digest(found[1], _hash(secret.strip())):
        raise NotFound(
            "Zu dieser Vorgangsnummer und diesem Kennwort gibt es keine Anfrage. Bitte prüfen Sie "
            "Ihre Eingabe; nach Ablauf der Aufbewahrungsfrist werden Anfragen gelöscht.",
            description_en="There is no request with this reference number and password. Please "
            "check your input; requests are deleted when their retention period ends.",
        )
    return found[0]


def status_text(request: ServiceRequest) -> str:
    """The status as the citizen reads it."""
    text = STATUS_TEXT.get(request.status, request.status)
    if request.warteliste and request.status == "neu":
        text = "auf der Warteliste – wir melden uns, sobald ein Platz frei wird"
    if request.ergebnis and request.status == "bearbeitet":
        text += f" ({request.ergebnis})"
    return text
