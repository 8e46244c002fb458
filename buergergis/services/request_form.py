"""The request form of a service, built from its ``service.request`` block (WTForms, no session).

Citizens who only browse get no cookie: the form carries a signed, time-limited token
(itsdangerous, keyed with the app secret) bound to the layer and feature, which is single-use
(its hash is stored with the request). A POST from another site is refused
(``Sec-Fetch-Site``/``Origin``, the OWASP "verify origin with standard headers" defence).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import BooleanField, Form, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from buergergis.catalog.service import RequestForm
from buergergis.errors import Forbidden, InvalidParameter

FORM_SALT = "buergergis.anfrage.formular"
FORM_MAX_AGE = 4 * 3600
NAME_MAX = 200
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()/\-]{6,30}$")
FOREIGN = "Anfragen von fremden Webseiten werden nicht angenommen."
FOREIGN_EN = "Requests from other websites are not accepted."
CONSENT = (
    "Ich bin einverstanden, dass die Stadt Hameln meine Angaben zur Bearbeitung dieser "
    "Anfrage speichert."
)


class HeaderLookup(Protocol):
    """Request headers as the web layer has them (anything with ``get``)."""

    def get(self, key: str) -> str | None:
        """The header's value, or ``None``."""


def is_email(value: str) -> bool:
    """Whether a contact is an e-mail address (then the citizen gets a confirmation)."""
    return bool(_EMAIL.match(value.strip()))


def _email_or_phone(form: Form, field: StringField) -> None:
    value = (field.data or "").strip()
    digits = sum(c.isdigit() for c in value)
    if _EMAIL.match(value) or (_PHONE.match(value) and digits >= 6):
        return
    raise ValidationError(
        "Bitte eine E-Mail-Adresse (name@example.de) oder eine Telefonnummer "
        "(mindestens 6 Ziffern) angeben."
    )


class BaseRequestForm(Form):
    """Fields every request form has."""

    name = StringField(
        "Ihr Name",
        validators=[
            DataRequired("Bitte geben Sie Ihren Namen an."),
            Length(2, NAME_MAX, f"Der Name muss 2 bis {NAME_MAX} Zeichen lang sein."),
        ],
    )
    kontakt = StringField(
        "E-Mail oder Telefon",
        validators=[DataRequired("Bitte geben Sie an, wie wir Sie erreichen."), _email_or_phone],
    )
    einwilligung = BooleanField(
        CONSENT,
        validators=[
            DataRequired("Ohne Ihr Einverständnis können wir die Anfrage nicht bearbeiten.")
        ],
    )
    website = StringField("Bitte leer lassen")  # honeypot: people never see it
    token = HiddenField()


def form_class(spec: RequestForm) -> type[BaseRequestForm]:
    """The form class of one request form (fields as the definition declares)."""
    attrs: dict[str, Any] = {}
    if spec.topics:
        attrs["anliegen"] = SelectField(
            "Anliegen", choices=[(t, t) for t in spec.topics], validate_choice=True
        )
    if spec.participant:
        attrs["teilnehmer"] = StringField(
            "Name und Alter des Kindes",
            validators=[
                DataRequired("Bitte geben Sie Name und Alter des Kindes an."),
                Length(2, NAME_MAX, f"Höchstens {NAME_MAX} Zeichen."),
            ],
        )
    if spec.message_max:
        attrs["nachricht"] = TextAreaField(
            "Nachricht (freiwillig)",
            validators=[
                Optional(),
                Length(max=spec.message_max, message=f"Höchstens {spec.message_max} Zeichen."),
            ],
        )
    return type("AnfrageFormular", (BaseRequestForm,), attrs)


@dataclass(frozen=True)
class Submission:
    """Validated input of one request."""

    name: str
    kontakt: str
    teilnehmer: str | None
    anliegen: str | None
    nachricht: str
    token: str

    @property
    def email(self) -> str | None:
        """The contact, when it is an e-mail address."""
        return self.kontakt if is_email(self.kontakt) else None


def form_token(secret: str, layer_id: str, fid: str) -> str:
    """A fresh signed token for a form of feature ``fid`` (each one usable once)."""
    serializer = URLSafeTimedSerializer(secret, salt=FORM_SALT)
    return str(serializer.dumps({"l": layer_id, "f": fid, "n": secrets.token_urlsafe(8)}))


def token_hash(token: str) -> str:
    """What is stored to make a token single-use."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_token(secret: str, token: str | None, layer_id: str, fid: str) -> None:
    """A 400 with a German message when the token is missing, forged, expired or foreign."""
    serializer = URLSafeTimedSerializer(secret, salt=FORM_SALT)
    try:
        data = serializer.loads(token or "", max_age=FORM_MAX_AGE)
    except SignatureExpired:
        raise InvalidParameter(
            "Das Formular war zu lange geöffnet. Ihre Angaben stehen noch im Formular – "
            "bitte senden Sie es erneut.",
            description_en="The form was open for too long. Your details are still in the form "
            "– please send it again.",
        ) from None
    except BadSignature:
        raise InvalidParameter(
            "Das Formular ist unvollständig (Sicherheitsmerkmal fehlt). Bitte erneut senden.",
            description_en="The form is incomplete (its security mark is missing). "
            "Please send it again.",
        ) from None
    if not isinstance(data, dict) or data.get("l") != layer_id or data.get("f") != fid:
        raise InvalidParameter(
            "Das Formular gehört zu einem anderen Angebot. Bitte neu laden.",
            description_en="The form belongs to another offer. Please reload the page.",
        )


def check_origin(headers: HeaderLookup, host_url: str) -> None:
    """Refuse cross-site POSTs (403); requests without these headers are left to the token."""
    site = (headers.get("Sec-Fetch-Site") or "").lower()
    if site and site not in {"same-origin", "none"}:
        raise Forbidden(FOREIGN, description_en=FOREIGN_EN)
    origin = headers.get("Origin")
    if origin and origin != "null":
        own = urlsplit(host_url)
        theirs = urlsplit(origin)
        if (theirs.scheme, theirs.netloc) != (own.scheme, own.netloc):
            raise Forbidden(FOREIGN, description_en=FOREIGN_EN)


def validate(form: BaseRequestForm, secret: str, layer_id: str, fid: str) -> Submission | None:
    """The submission, or ``None`` with ``form.errors`` set; a 400 for token or honeypot."""
    check_token(secret, form.token.data, layer_id, fid)
    if (form.website.data or "").strip():
        raise InvalidParameter(
            "Die Anfrage konnte nicht angenommen werden.",
            description_en="The request could not be accepted.",
        )
    if not form.validate():
        return None
    data = form.data
    return Submission(
        name=data["name"].strip(),
        kontakt=data["kontakt"].strip(),
        teilnehmer=(data.get("teilnehmer") or "").strip() or None,
        anliegen=data.get("anliegen") or None,
        nachricht=(data.get("nachricht") or "").strip(),
        token=str(form.token.data),
    )
