"""Staff pages of the city services under ``/admin/dienste`` (own blueprint, staff login).

Uses the staff area's Flask-Login session and roles and Flask-WTF's session-bound CSRF token,
exactly like ``/admin``: not logged in → the login page, POST without a valid token → 400.
Which services exist, what staff may edit and which role reads a service's requests
(``service.request.staff_role``; job applications: ``admin``) comes from the layer files.
Every edit is a new layer version plus an audit entry (``services.edit``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from buergergis.catalog.service import Service
from buergergis.errors import Forbidden, InvalidParameter, NotFound
from buergergis.services import attachments, config, edit, mail, retention
from buergergis.store import audit
from buergergis.store.catalog import LayerRecord, list_layers, require_layer
from buergergis.store.services import outbox, queries, requests
from buergergis.store.services.requests import ServiceRequest
from buergergis.web import state
from buergergis.web.services_support import fmt, labels

bp = Blueprint("services_admin", __name__, url_prefix="/admin/dienste")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DONE = "erledigt"
MAX_FEATURES = 1000


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    """Login (redirect), role ``editor`` or higher (403) and the CSRF token on POST (400)."""
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    user = current_user._get_current_object()
    if not user.has_role("editor"):
        raise Forbidden("Keine Berechtigung für die Dienste-Verwaltung.")
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            raise InvalidParameter(
                "Das Formular ist abgelaufen oder unvollständig (CSRF-Schutz). "
                "Bitte die Seite neu laden und erneut senden."
            ) from None
    g.staff = user
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return response


def _services() -> dict[str, LayerRecord]:
    """Every loaded service layer (public or not), by id."""
    with state().engine.connect() as conn:
        records = list_layers(conn, include_private=True)
    return {r.id: r for r in records if config.service_of(r) and r.kind == "vector"}


@bp.context_processor
def _template_globals() -> dict[str, object]:
    services = _services()
    return {
        "csrf_token": generate_csrf, "staff": g.get("staff"), "fmt": fmt,
        "titles": config.titles(services.values()), "service_ids": sorted(services),
    }  # fmt: skip


def _record(role: str) -> LayerRecord:
    with state().engine.connect() as conn:
        record = require_layer(conn, role, include_private=True, vector=True)
    config.require_service(record)
    return record


def _readable(records: dict[str, LayerRecord]) -> list[str]:
    """Layers whose requests this staff member may read (``service.request.staff_role``)."""
    return [
        lid
        for lid, r in records.items()
        if (s := config.service_of(r)) and s.request and g.staff.has_role(s.request.staff_role)
    ]


def _request(request_id: int) -> tuple[ServiceRequest, LayerRecord, Service]:
    """A request this staff member may read (404 unknown, 403 other role)."""
    with state().engine.connect() as conn:
        found = requests.get_request(conn, request_id)
    if found is None:
        raise NotFound(f"Die Anfrage {request_id} gibt es nicht (mehr).")
    record = _record(found.layer_id)
    service = config.require_service(record)
    role = service.request.staff_role if service.request else "admin"
    if not g.staff.has_role(role):
        raise Forbidden("Anfragen dieses Dienstes bearbeitet eine andere Rolle.")
    return found, record, service


def _actor() -> str:
    return str(g.staff.name)


def _actions(service: Service) -> dict[str, str | None]:
    """Buttons of a request: set the feature's status to a value that takes no requests, or
    close the request without changing the feature."""
    status = service.status
    values = [v for v in status.values if v not in status.requestable] if status else []
    return {v: v for v in values} | {DONE: None}


# ---- overview, requests ------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """Open requests per service, the outbox and the editable service layers."""
    services = _services()
    readable = _readable(services)
    with state().engine.connect() as conn:
        open_count = requests.count_open(conn, readable)
        waiting = len(outbox.pending(conn))
    return render_template(
        "services/admin/index.html", open_count=open_count, services=services,
        readable=readable, waiting_mails=waiting, smtp=bool(mail.MailSettings.from_env().url),
    )  # fmt: skip


@bp.get("/anfragen")
def request_list() -> str:
    """Requests of the services this role reads, newest first (``status``, ``layer``)."""
    wanted = request.args.get("status", "neu")
    status = wanted if wanted in {"neu", "bearbeitet"} else None
    services = _services()
    readable = _readable(services)
    layer = request.args.get("layer", "")
    chosen = [layer] if layer in readable else readable
    with state().engine.connect() as conn:
        found = requests.list_requests(conn, chosen, status=status)
    return render_template(
        "services/admin/requests.html", requests=found, wanted=wanted, layer=layer,
        readable=readable, services=services,
    )  # fmt: skip


@bp.get("/anfragen/suche")
def request_search() -> ResponseReturnValue:
    """A request by its reference number (Art. 15/17 start here)."""
    reference = request.args.get("vorgang", "")
    with state().engine.connect() as conn:
        found = retention.by_reference(conn, reference)
    return redirect(url_for("services_admin.request_detail", request_id=found.id))


@bp.get("/anfragen/<int:request_id>")
def request_detail(request_id: int) -> str:
    """One request with the citizen's data, its mails, deletion date and actions."""
    found, record, service = _request(request_id)
    with state().engine.connect() as conn:
        mails = outbox.for_request(conn, found.id)
        feature = queries.feature(conn, record, found.fid, [])
    return render_template(
        "services/admin/request.html", r=found, record=record, service=service, mails=mails,
        actions=_actions(service), feature_exists=feature is not None,
    )  # fmt: skip


@bp.post("/anfragen/<int:request_id>")
def request_action(request_id: int) -> ResponseReturnValue:
    """Set the feature's status (new layer version) and/or close the request."""
    found, record, service = _request(request_id)
    actions = _actions(service)
    action = request.form.get("aktion", "")
    if action not in actions:
        raise InvalidParameter(f"Unbekannte Aktion '{action[:20]}'.")
    target = actions[action]
    values: dict[str, Any] = {service.status.attribute: target} if target and service.status else {}
    result = edit.save(state().engine, record, found.fid, values, actor=_actor(),
                       keep=state().settings.keep_versions, request_id=request_id)  # fmt: skip
    change = f"{found.fid} ist jetzt {target}" if result.changed else "Angebot unverändert"
    flash(f"Anfrage {found.reference} bearbeitet: {change}.", "success")
    return redirect(url_for("services_admin.request_list"))


@bp.get("/anfragen/<int:request_id>/anhang")
def request_attachment(request_id: int) -> Response:
    """The PDF of an application (only for the role that handles the service's requests)."""
    found, _record_, _service = _request(request_id)
    if not found.anhang:
        raise NotFound("Diese Anfrage hat keinen Anhang.")
    data = attachments.read(state().settings.shared, found.anhang)
    response = Response(data, mimetype="application/pdf")
    name = (found.anhang_name or "anhang.pdf").replace('"', "")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/anfragen/<int:request_id>/export.json")
def request_export(request_id: int) -> Response:
    """Everything stored about one request (Art. 15 DSGVO), audited."""
    found, _record_, _service = _request(request_id)
    with state().engine.begin() as conn:
        body = retention.export(conn, found)
        audit.record(conn, _actor(), "anfrage_export", layer_id=found.layer_id,
                     details={"anfrage": found.reference})  # fmt: skip
    response = Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.reference}.json"'
    return response


@bp.post("/anfragen/<int:request_id>/loeschen")
def request_delete(request_id: int) -> ResponseReturnValue:
    """Delete one request now (Art. 17 DSGVO), audited without personal data."""
    found, _record_, _service = _request(request_id)
    retention.erase(state().engine, state().settings.shared, found.id)
    with state().engine.begin() as conn:
        audit.record(conn, _actor(), "anfrage_geloescht", layer_id=found.layer_id,
                     details={"anfrage": found.reference})  # fmt: skip
    flash(f"Anfrage {found.reference} gelöscht.", "success")
    return redirect(url_for("services_admin.request_list"))


@bp.get("/postausgang")
def outbox_page() -> str:
    """Mails not yet delivered (all of them while no SMTP server is configured)."""
    with state().engine.connect() as conn:
        mails = outbox.pending(conn)
    return render_template("services/admin/outbox.html", mails=mails,
                           smtp=bool(mail.MailSettings.from_env().url))  # fmt: skip


# ---- editing features --------------------------------------------------------------------------


@bp.get("/<role>")
def features(role: str) -> str:
    """The features of a service layer with their editable values."""
    record = _record(role)
    available = edit.fields(record, {})
    names = [f.name for f in available]
    with state().engine.connect() as conn:
        rows = queries.rows(conn, record, names, limit=MAX_FEATURES)
    return render_template("services/admin/features.html", role=role, record=record, rows=rows,
                           names=names, labels=labels(record))  # fmt: skip


@bp.route("/<role>/<path:fid>", methods=["GET", "POST"])
def feature_edit(role: str, fid: str) -> ResponseReturnValue:
    """Edit the attributes of one feature; saving makes a new layer version."""
    record = _record(role)
    names = list(config.editable(record))
    with state().engine.connect() as conn:
        row = queries.feature(conn, record, fid, [n for n in names if n in labels(record)])
    if row is None:
        raise NotFound(f"Das Objekt '{fid[:60]}' gibt es in '{record.id}' nicht.")
    available = edit.fields(record, row.values)
    if request.method == "GET":
        return render_template("services/admin/edit.html", role=role, record=record, row=row,
                               fields=available)  # fmt: skip
    try:
        values = edit.parse_changes(available, request.form)
    except InvalidParameter as exc:
        page = render_template("services/admin/edit.html", role=role, record=record, row=row,
                               fields=available, submitted=request.form,
                               errors=exc.details.get("fields", {}))  # fmt: skip
        return page, 400
    expected = request.form.get("version", "")
    result = edit.save(state().engine, record, fid, values, actor=_actor(),
                       keep=state().settings.keep_versions,
                       expected_version=int(expected) if expected.isdigit() else None)  # fmt: skip
    message = (f"Gespeichert: neue Version {result.version}." if result.changed
               else "Keine Änderung – nichts gespeichert.")  # fmt: skip
    flash(message, "success")
    return redirect(url_for("services_admin.features", role=role))
