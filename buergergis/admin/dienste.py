"""Staff pages of the city services under ``/admin/dienste`` (own blueprint, staff login).

Uses the staff area's Flask-Login session and roles (``StaffUser.has_role``) and Flask-WTF's
session-bound CSRF token, exactly like ``/admin``: not logged in → the login page, POST
without a valid token → 400, both roles (``editor``, ``admin``) may work here. Every change
is a new layer version plus an audit entry (``services.edit``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from buergergis.errors import Forbidden, InvalidParameter, NotFound
from buergergis.services import edit
from buergergis.services.config import CHOICES, EDITABLE, TITLES
from buergergis.services.holz import STATUS
from buergergis.store.catalog import LayerRecord, require_layer
from buergergis.store.services import queries, requests
from buergergis.web import state
from buergergis.web.services_support import fmt, labels, service_layers

bp = Blueprint("services_admin", __name__, url_prefix="/admin/dienste")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What a button on a Kaufanfrage does to the lot.
ACTIONS = {"reserviert": "reserviert", "verkauft": "verkauft", "erledigt": None}
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


@bp.context_processor
def _template_globals() -> dict[str, object]:
    return {"csrf_token": generate_csrf, "staff": g.get("staff"), "fmt": fmt, "titles": TITLES}


def _record(role: str) -> LayerRecord:
    if role not in EDITABLE:
        raise NotFound(f"Den Dienst '{role[:40]}' gibt es nicht.")
    layer_id = service_layers().layer_id(role)
    with state().engine.connect() as conn:
        return require_layer(conn, layer_id, include_private=True, vector=True)


def _actor() -> str:
    return str(g.staff.name)


# ---- pages -----------------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """Open Kaufanfragen and the editable service layers."""
    with state().engine.connect() as conn:
        open_count = requests.count_open(conn)
    return render_template("services/admin/index.html", open_count=open_count, roles=EDITABLE)


@bp.get("/anfragen")
def request_list() -> str:
    """Kaufanfragen, newest first (``status=neu`` by default, ``alle`` for every one)."""
    wanted = request.args.get("status", "neu")
    status = wanted if wanted in {"neu", "bearbeitet"} else None
    record = _record("holzverkauf")
    with state().engine.connect() as conn:
        found = requests.list_requests(conn, status=status)
        lots = {r.fid: r for r in queries.rows(conn, record, (STATUS,), limit=10000)}
    return render_template("services/admin/requests.html", requests=found, lots=lots,
                           wanted=wanted, actions=ACTIONS)  # fmt: skip


@bp.post("/anfragen/<int:request_id>")
def request_action(request_id: int) -> ResponseReturnValue:
    """Reserve or sell the lot of a request (new layer version), or just close the request."""
    action = request.form.get("aktion", "")
    if action not in ACTIONS:
        raise InvalidParameter(f"Unbekannte Aktion '{action[:20]}'.")
    with state().engine.connect() as conn:
        found = requests.get_request(conn, request_id)
    if found is None:
        raise NotFound(f"Die Kaufanfrage {request_id} gibt es nicht.")
    record = _record("holzverkauf")
    values: dict[str, Any] = {STATUS: ACTIONS[action]} if ACTIONS[action] else {}
    result = edit.save(state().engine, record, found.fid, values, actor=_actor(),
                       keep=state().settings.keep_versions, request_id=request_id)  # fmt: skip
    change = f"Los {found.fid} ist jetzt {ACTIONS[action]}" if result.changed else "Los unverändert"
    flash(f"Anfrage {found.reference} bearbeitet: {change}.", "success")
    return redirect(url_for("services_admin.request_list"))


@bp.get("/<role>")
def features(role: str) -> str:
    """The features of a service layer with their editable values."""
    record = _record(role)
    available = edit.fields(record, role, {})
    names = [f.name for f in available]
    with state().engine.connect() as conn:
        rows = queries.rows(conn, record, names, limit=MAX_FEATURES)
    return render_template("services/admin/features.html", role=role, record=record, rows=rows,
                           names=names, labels=labels(record))  # fmt: skip


@bp.route("/<role>/<path:fid>", methods=["GET", "POST"])
def feature_edit(role: str, fid: str) -> ResponseReturnValue:
    """Edit the attributes of one feature; saving makes a new layer version."""
    record = _record(role)
    names = list(EDITABLE[role])
    with state().engine.connect() as conn:
        row = queries.feature(conn, record, fid, [n for n in names if n in labels(record)])
    if row is None:
        raise NotFound(f"Das Objekt '{fid[:60]}' gibt es in '{record.id}' nicht.")
    available = edit.fields(record, role, row.values)
    if request.method == "GET":
        return render_template("services/admin/edit.html", role=role, record=record, row=row,
                               fields=available, choices=CHOICES)  # fmt: skip
    try:
        values = edit.parse_changes(available, request.form)
    except InvalidParameter as exc:
        page = render_template("services/admin/edit.html", role=role, record=record, row=row,
                               fields=available, choices=CHOICES, submitted=request.form,
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
