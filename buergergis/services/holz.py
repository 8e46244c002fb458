"""The Kaufanfrage workflow for firewood lots: form, cookie-free CSRF protection, storing.

Citizens who only browse get no cookie. The form carries a signed, time-limited token
(itsdangerous, keyed with the app secret) instead of a session, and a POST is refused when
the browser says it comes from another site (``Sec-Fetch-Site``/``Origin``, the OWASP
"verify origin with standard headers" defence). The confirmation page is reached through a
signed link, so reference numbers cannot be enumerated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, Engine
from wtforms import BooleanField, Form, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from buergergis.errors import Conflict, Forbidden, InvalidParameter, NotFound
from buergergis.store.catalog import LayerRecord
from buergergis.store.services import queries, requests
from buergergis.store.services.queries import Row
from buergergis.store.services.requests import PurchaseRequest

FORM_SALT = "buergergis.kaufanfrage.formular"
CONFIRM_SALT = "buergergis.kaufanfrage.bestaetigung"
FORM_MAX_AGE = 4 * 3600
CONFIRM_MAX_AGE = 14 * 24 * 3600
FREE = "frei"
STATUS = "status"
#: What the lot list and the form show of a lot.
LOT_FIELDS = (
    "waldort", "holzart", "sortiment", "menge_rm", "preis_rm", STATUS,
    "abholung_von", "abholung_bis", "hinweise", "flaeche_ha",
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()/\-]{6,30}$")
REQUIRED = "Pflichtfeld."


class HeaderLookup(Protocol):
    """Request headers as the web layer has them (anything with ``get``)."""

    def get(self, key: str) -> str | None:
        """The header's value, or ``None``."""


def _email_or_phone(form: Form, field: StringField) -> None:
    value = (field.data or "").strip()
    digits = sum(c.isdigit() for c in value)
    if _EMAIL.match(value) or (_PHONE.match(value) and digits >= 6):
        return
    raise ValidationError(
        "Bitte eine E-Mail-Adresse (name@example.de) oder eine Telefonnummer "
        "(mindestens 6 Ziffern) angeben."
    )


class RequestForm(Form):
    """The Kaufanfrage (WTForms without sessions: the token field replaces Flask-WTF's CSRF)."""

    los = HiddenField("Los", validators=[DataRequired("Bitte ein Los wählen.")])
    name = StringField(
        "Name",
        validators=[
            DataRequired("Bitte geben Sie Ihren Namen an."),
            Length(2, 200, "Der Name muss 2 bis 200 Zeichen lang sein."),
        ],
    )
    kontakt = StringField(
        "E-Mail oder Telefon",
        validators=[DataRequired("Bitte geben Sie an, wie wir Sie erreichen."), _email_or_phone],
    )
    nachricht = TextAreaField(
        "Nachricht (freiwillig)",
        validators=[Optional(), Length(max=2000, message="Höchstens 2000 Zeichen.")],
    )
    einwilligung = BooleanField(
        "Ich bin einverstanden, dass die Stadt Hameln meine Angaben zur Bearbeitung dieser "
        "Anfrage speichert.",
        validators=[
            DataRequired("Ohne Ihr Einverständnis können wir die Anfrage nicht bearbeiten.")
        ],
    )
    website = StringField("Bitte leer lassen")  # honeypot: people never see it
    token = HiddenField()


@dataclass(frozen=True)
class Submission:
    """Validated input of one request."""

    fid: str
    name: str
    kontakt: str
    nachricht: str


def new_form(fid: str, secret: str) -> RequestForm:
    """An empty form for lot ``fid`` with a fresh token."""
    form = RequestForm(data={"los": fid})
    form.token.data = form_token(secret, fid)
    return form


def form_token(secret: str, fid: str) -> str:
    """The signed token of a form for lot ``fid``."""
    return URLSafeTimedSerializer(secret, salt=FORM_SALT).dumps({"los": fid})


def check_token(secret: str, token: str | None, fid: str) -> None:
    """A 400 with a German message when the token is missing, forged, expired or for another lot."""
    serializer = URLSafeTimedSerializer(secret, salt=FORM_SALT)
    try:
        data = serializer.loads(token or "", max_age=FORM_MAX_AGE)
    except SignatureExpired:
        raise InvalidParameter(
            "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es erneut."
        ) from None
    except BadSignature:
        raise InvalidParameter(
            "Das Formular ist unvollständig (Sicherheitsmerkmal fehlt). Bitte neu laden."
        ) from None
    if not isinstance(data, dict) or data.get("los") != fid:
        raise InvalidParameter("Das Formular gehört zu einem anderen Los. Bitte neu laden.")


def check_origin(headers: HeaderLookup, host_url: str) -> None:
    """Refuse cross-site POSTs (403); requests without these headers are left to the token."""
    site = (headers.get("Sec-Fetch-Site") or "").lower()
    if site and site not in {"same-origin", "none"}:
        raise Forbidden("Anfragen von fremden Webseiten werden nicht angenommen.")
    origin = headers.get("Origin")
    if origin and origin != "null":
        own = urlsplit(host_url)
        theirs = urlsplit(origin)
        if (theirs.scheme, theirs.netloc) != (own.scheme, own.netloc):
            raise Forbidden("Anfragen von fremden Webseiten werden nicht angenommen.")


def validate(form: RequestForm, secret: str) -> Submission | None:
    """The submission, or ``None`` with ``form.errors`` set; a 400 for token or honeypot."""
    fid = (form.los.data or "").strip()[:200]
    check_token(secret, form.token.data, fid)
    if (form.website.data or "").strip():
        raise InvalidParameter("Die Anfrage konnte nicht angenommen werden.")
    if not form.validate():
        return None
    return Submission(
        fid=fid,
        name=form.name.data.strip(),
        kontakt=form.kontakt.data.strip(),
        nachricht=(form.nachricht.data or "").strip(),
    )


def lot_for_request(conn: Connection, record: LayerRecord, fid: str) -> Row:
    """The lot a request is for: 400 without one, 404 unknown, 409 when it is not free."""
    if not fid:
        raise InvalidParameter(
            "Bitte wählen Sie zuerst ein Los aus der Liste der freien Lose (/holzverkauf)."
        )
    names = {a.name for a in record.attributes}
    lot = queries.feature(conn, record, fid, [n for n in LOT_FIELDS if n in names])
    if lot is None:
        raise NotFound(f"Das Los '{fid[:60]}' gibt es nicht.")
    status = lot.values.get(STATUS)
    if status != FREE:
        raise Conflict(
            f"Das Los {fid} ist {status or 'nicht verfügbar'} und kann nicht angefragt werden. "
            "Bitte wählen Sie ein freies Los."
        )
    return lot


def request_summary(conn: Connection, request_id: int) -> PurchaseRequest:
    """A stored request for its confirmation page (404 if it no longer exists)."""
    found = requests.get_request(conn, request_id)
    if found is None:
        raise NotFound("Diese Anfrage gibt es nicht (mehr).")
    return found


def submit(engine: Engine, record: LayerRecord, submission: Submission) -> PurchaseRequest:
    """Store the request if the lot is free (404/409 otherwise)."""
    with engine.begin() as conn:
        return requests.create_request(
            conn,
            record.id,
            submission.fid,
            name=submission.name,
            kontakt=submission.kontakt,
            nachricht=submission.nachricht,
            status_attr=STATUS,
            free=FREE,
        )


def confirmation_token(secret: str, request: PurchaseRequest) -> str:
    """The signed part of the confirmation link."""
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps(request.id)


def confirmed_id(secret: str, token: str) -> int:
    """The request id of a confirmation link (404-like 400 when invalid or too old)."""
    try:
        value = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).loads(
            token, max_age=CONFIRM_MAX_AGE
        )
    except (BadSignature, SignatureExpired):
        raise InvalidParameter(
            "Dieser Bestätigungslink ist ungültig oder abgelaufen. Ihre Anfrage ist davon "
            "nicht betroffen; bei Fragen nennen Sie bitte Ihre Vorgangsnummer."
        ) from None
    if not isinstance(value, int):
        raise InvalidParameter("Dieser Bestätigungslink ist ungültig.")
    return value
