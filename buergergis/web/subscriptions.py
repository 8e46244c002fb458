"""E-mail subscriptions (issue 16): ``/abo/<layer>`` (form), ``/abo/bestaetigen/<token>`` (double
opt-in), ``/abo/abmelden/<token>`` (one click; also ``POST`` as in RFC 8058).

Confirming takes a button press (``POST``) so that link scanners in mail systems cannot confirm
on their own; unsubscribing works with one click on the link and with a ``POST`` to it.
The answer to a subscription form never says whether the address was already subscribed.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from buergergis.maps import csp
from buergergis.maps.embed import base_url
from buergergis.maps.i18n import texts
from buergergis.maps.view import parse_lang
from buergergis.services import subscriptions
from buergergis.store.catalog import get_layer, require_layer
from buergergis.web import state

bp = Blueprint("subscriptions", __name__)


def _public_url() -> str:
    s = state().settings
    configured = s.public_url if "public_url" in s.model_fields_set else None
    return base_url(configured, request.host_url)


def _page(step: str, lang: str, status: int = 200, **context: object) -> Response:
    body = render_template(
        "maps/abo.html",
        step=step,
        lang=lang,
        t=texts(parse_lang(lang)),
        **context,
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = csp.policy(frame_ancestors="'self'")
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays on this site
    response.headers["Cache-Control"] = "no-store"
    return response


def _title(record: object, lang: str) -> str:
    d = record.definition  # type: ignore[attr-defined]
    return str((d.title_en if lang == "en" else None) or d.title)


@bp.route("/abo/<layer_id>", methods=["GET", "POST"])
def subscribe(layer_id: str) -> Response:
    """The form (``GET``) and the request for a confirmation mail (``POST`` with ``email``)."""
    lang = parse_lang(request.values.get("lang"))
    with state().engine.begin() as conn:
        record = require_layer(conn, layer_id, vector=True)
        subscriptions.require_subscribable(record)
        if request.method == "GET":
            return _page("form", lang, layer=record.id, title=_title(record, lang))
        email = subscriptions.parse_email(request.form.get("email"))
        subscriptions.subscribe(conn, record, email, lang, _public_url())
    return _page("sent", lang, layer=record.id, title=_title(record, lang))


@bp.route("/abo/bestaetigen/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Response:
    """Double opt-in: a button (``GET``) that confirms (``POST``)."""
    with state().engine.begin() as conn:
        found = subscriptions.lookup(conn, token)
        record = require_layer(conn, found.layer_id, vector=True)
        if request.method == "POST":
            subscriptions.confirm(conn, token)
    step = "confirmed" if request.method == "POST" or found.confirmed_at else "confirm"
    return _page(step, found.lang, layer=record.id, title=_title(record, found.lang),
                 token=token)  # fmt: skip


@bp.route("/abo/abmelden/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    """One click: the subscription and the address are deleted."""
    with state().engine.begin() as conn:
        found = subscriptions.unsubscribe(conn, token)
        record = get_layer(conn, found.layer_id)
    title = _title(record, found.lang) if record else found.layer_id
    return _page("removed", found.lang, layer=found.layer_id, title=title)
