"""Citizen routes of the requests (Anfragen) for every service layer with a request form.

``GET/POST /anfrage/<layer_id>/<feature_id>`` shows and accepts the form declared in the
layer's ``service.request``; ``/anfrage/bestaetigung/<token>`` confirms with the reference
number and the status secret; ``/anfrage/status`` shows a request's state for its reference
number and secret (no account). No cookies: the form is protected by a single-use signed token
and an origin check. A refused submission is answered with the form again, filled in with what
the citizen typed, and the reason.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from buergergis.catalog.service import Service
from buergergis.errors import BuergerGISError, NotFound
from buergergis.services import anfragen, config, opening
from buergergis.services import request_form as forms
from buergergis.store.catalog import LayerRecord, require_layer
from buergergis.web import state
from buergergis.web.services_support import current_lang, html_page, labels, no_store

bp = Blueprint("anfragen", __name__)

MAX_FID = 200
TEMPLATE = "services/anfrage_form.html"


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _record(layer_id: str) -> tuple[LayerRecord, Service]:
    with state().engine.connect() as conn:
        record = require_layer(conn, layer_id, vector=True)
    service, _ = config.require_form(record)
    return record, service


def _page(
    record: LayerRecord,
    service: Service,
    offer: anfragen.Offer,
    form: forms.BaseRequestForm,
    *,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    form.token.data = forms.form_token(_secret(), record.id, offer.fid)
    response = html_page(
        TEMPLATE, record=record, service=service, spec=service.request, offer=offer,
        form=form, labels=labels(record), problem=problem,
        shown=[n for n in getattr(record.definition, "popup", ()) if n in offer.values] or list(offer.values)[:8],
    )  # fmt: skip
    response.status_code = status
    return no_store(response)


@bp.route("/anfrage/<layer_id>/<path:fid>", methods=["GET", "POST"])
def form(layer_id: str, fid: str) -> ResponseReturnValue:
    """The request form of one feature (GET) and its submission (POST → confirmation)."""
    record, service = _record(layer_id)
    fid = fid.strip()[:MAX_FID]
    with state().engine.connect() as conn:
        offer = anfragen.offer(conn, record, service, fid)
    assert service.request is not None
    form_cls = forms.form_class(service.request)
    if request.method == "GET":
        return _page(record, service, offer, form_cls())
    forms.check_origin(request.headers, request.host_url)
    filled = form_cls(request.form)
    try:
        submission = forms.validate(filled, _secret(), record.id, fid)
        if submission is None:
            return _page(record, service, offer, filled, status=400)
        created = _submit(record, service, fid, submission)
    except BuergerGISError as exc:
        if isinstance(exc, NotFound) or exc.status >= 500:
            raise
        problem = exc.message(current_lang())
        return _page(record, service, offer, filled, problem=problem, status=exc.status)
    token = anfragen.confirmation_token(_secret(), created)
    lang: dict[str, Any] = {"lang": "en"} if request.args.get("lang") == "en" else {}
    return redirect(url_for("anfragen.done", token=token, **lang), 303)


def _submit(
    record: LayerRecord, service: Service, fid: str, submission: forms.Submission
) -> anfragen.Created:
    settings = state().settings
    upload = None
    if service.request and service.request.attachment:
        file = request.files.get("datei")
        limit = service.request.attachment_max_mb * 1024 * 1024
        data = file.stream.read(limit + 1) if file else b""
        upload = anfragen.Upload(file.filename if file else None, data)
    context = anfragen.Context(
        address=request.remote_addr or "unbekannt",
        public_url=settings.public_url or request.host_url,
        var_dir=settings.shared,
        limits=current_app.config.get("BUERGERGIS_ANFRAGE_LIMITS", anfragen.LIMITS),
    )
    return anfragen.submit(state().engine, record, service, fid, submission, context, upload)


@bp.get("/anfrage/bestaetigung/<token>")
def done(token: str) -> Response:
    """The confirmation: reference number and the secret for the status page."""
    request_id, secret = anfragen.confirmed(_secret(), token)
    with state().engine.connect() as conn:
        found = anfragen.get(conn, request_id)
        record = require_layer(conn, found.layer_id, vector=True)
    return no_store(html_page(
        "services/anfrage_done.html", req=found, secret=secret, berlin=opening.BERLIN,
        service_title=config.title_of(record), state_text=anfragen.status_text(found),
    ))  # fmt: skip


@bp.route("/anfrage/status", methods=["GET", "POST"])
def status() -> Response:
    """Status of a request by reference number and secret (POST, so the secret stays out of
    URLs and logs); unknown pairs get one answer, whatever was wrong."""
    if request.method == "GET":
        return no_store(html_page("services/anfrage_status.html", found=None, reference=""))
    forms.check_origin(request.headers, request.host_url)
    reference = (request.form.get("vorgang") or "").strip()[:40]
    secret = (request.form.get("kennwort") or "").strip()[:60]
    with state().engine.connect() as conn:
        try:
            found = anfragen.lookup(conn, reference, secret)
        except NotFound as exc:
            page = html_page("services/anfrage_status.html", found=None, reference=reference,
                             problem=exc.message(current_lang()))  # fmt: skip
            page.status_code = 404
            return no_store(page)
        record = require_layer(conn, found.layer_id, vector=True)
    return no_store(html_page(
        "services/anfrage_status.html", found=found, reference=reference,
        service_title=config.title_of(record), state_text=anfragen.status_text(found),
        berlin=opening.BERLIN,
    ))  # fmt: skip
