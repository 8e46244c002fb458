"""HTML pages of the staff area: login, overview, layers with versions, audit log, accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from flask_login import login_user, logout_user

from buergergis.admin.auth import (
    add_account,
    authenticate,
    change_account,
    end_session,
    start_session,
)
from buergergis.admin.blueprint import (
    admin_only,
    bp,
    lockout_seconds,
    login_limits,
    safe_next,
    settings,
    staff,
)
from buergergis.admin.forms import (
    AccountChangeForm,
    AccountForm,
    ConfirmForm,
    LoginForm,
    RollbackForm,
    UploadForm,
    form_errors,
)
from buergergis.admin.manage import file_managed, known_attributes
from buergergis.admin.my_uploads import pending_uploads
from buergergis.admin.publish import export_yaml, rollback_layer
from buergergis.catalog.models import CATEGORIES
from buergergis.errors import BuergerGISError, InvalidParameter
from buergergis.store import audit, history, lifecycle, users
from buergergis.store.catalog import LayerRecord, list_layers, require_layer
from buergergis.values import parse_int
from buergergis.web import state


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with name and password (rate limited; a lockout keeps the form)."""
    form = LoginForm()
    if request.method == "GET":
        return render_template("admin/login.html", form=form)
    try:
        with login_limits(per_address=True):
            return _login_attempt(form)
    except RateLimitExceeded:
        return _locked_out(form)


def _login_attempt(form: LoginForm) -> ResponseReturnValue:
    with login_limits(per_address=False):
        if not form.validate_on_submit():
            return render_template("admin/login.html", form=form), 400
        user = authenticate(state().engine, form.name.data, form.password.data)
    if user is None:
        return render_template("admin/login.html", form=form, failed=True), 401
    session.clear()
    login_user(start_session(state().engine, user))
    session.permanent = True
    return redirect(safe_next(request.args.get("next")))


def _locked_out(form: LoginForm) -> ResponseReturnValue:
    """The login page again, saying from when on a new attempt is possible."""
    wait = lockout_seconds()
    until = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(seconds=wait)
    html = render_template(
        "admin/login.html", form=form, locked_until=until.strftime("%H:%M:%S"), wait=wait
    )
    return html, 429, {"Retry-After": str(wait)}


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session, also on the server (a copied cookie no longer works)."""
    end_session(state().engine, staff())
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
def index() -> str:
    """Overview: all layers (also private ones), my pending uploads, the recycle bin."""
    user = staff()
    with state().engine.connect() as conn:
        layers = list_layers(conn, include_private=True, loaded_only=False)
        trash = lifecycle.deleted_layers(conn, settings().deleted_keep_days)
    pending = pending_uploads(settings(), user.name, is_admin=user.is_admin)
    return render_template(
        "admin/index.html",
        layers=layers,
        pending=pending,
        trash=trash,
        upload_form=UploadForm(),
        confirm=ConfirmForm(),
    )


def layer_record(layer_id: str) -> LayerRecord:
    """A layer including private ones, or 404."""
    with state().engine.connect() as conn:
        return require_layer(conn, layer_id, include_private=True, loaded=False)


@bp.get("/layers/<layer_id>")
def layer_view(layer_id: str) -> str:
    """A layer: metadata and edit form, kept versions with rollback, its audit entries."""
    return layer_page(layer_id)


def layer_page(layer_id: str, error: str | None = None, submitted: Any = None) -> str:
    """The layer page; after a refused edit with the message and the submitted values."""
    record = layer_record(layer_id)
    with state().engine.connect() as conn:
        versions = history.list_versions(conn, layer_id)
        entries = audit.entries(conn, layer_id=layer_id, limit=50) if staff().is_admin else []
        known = list(known_attributes(conn, record).values())
    shown = {a.name: a for a in record.attributes}
    rows = [shown.get(a.name, a) for a in record.attributes] + [
        a for a in known if a.name not in shown
    ]
    return render_template(
        "admin/layer.html",
        record=record,
        versions=versions,
        live=next((v for v in versions if v.live), None),
        entries=entries,
        rollback=RollbackForm(),
        confirm=ConfirmForm(),
        file_managed=file_managed(record),
        attribute_rows=rows,
        shown=shown,
        categories=CATEGORIES,
        by_categories=_categories_text(record),
        error=error,
        submitted=submitted,
    )


def _categories_text(record: LayerRecord) -> str:
    style = getattr(record.definition, "style", None)
    by = style.by_attribute if style is not None else None
    if by is None:
        return ""
    return "\n".join(
        f"{c.value} = {c.color}" + (f" = {c.label}" if c.label else "") for c in by.categories
    )


@bp.post("/layers/<layer_id>/rollback")
def layer_rollback(layer_id: str) -> ResponseReturnValue:
    """Make a kept version live again."""
    form = RollbackForm()
    if not form.validate():
        raise InvalidParameter("Bitte eine gültige Version wählen.")
    result = rollback_layer(settings(), state().engine, layer_id, form.version.data, staff().name)
    with state().engine.connect() as conn:
        labels = {v.version: v.label for v in history.list_versions(conn, layer_id)}
    flash(
        f"{labels.get(form.version.data)} ist wieder live (als {labels.get(result.version)}, "
        f"{result.counts['features']} Objekte).",
        "success",
    )
    return redirect(url_for("admin.layer_view", layer_id=layer_id))


@bp.get("/layers/<layer_id>/export.yaml")
def layer_export(layer_id: str) -> Response:
    """Download the layer's definition as YAML."""
    body = export_yaml(settings(), layer_record(layer_id))
    response = Response(body, mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.yaml"'
    return response


@bp.get("/audit")
@admin_only
def audit_view() -> str:
    """The audit log, newest first (admins)."""
    before = parse_int(request.args.get("vor"), "vor", low=1)
    with state().engine.connect() as conn:
        entries = audit.entries(conn, limit=100, before=before)
    return render_template("admin/audit.html", entries=entries)


@bp.route("/accounts", methods=["GET", "POST"])
@admin_only
def accounts() -> ResponseReturnValue:
    """List accounts and create new ones (admins)."""
    form, status = AccountForm(), 200
    if form.validate_on_submit():
        try:
            add_account(
                state().engine,
                form.name.data,
                form.password.data,
                form.role.data,
                actor=staff().name,
            )
            flash(f"Konto {form.name.data.strip().lower()} angelegt.", "success")
            return redirect(url_for("admin.accounts"))
        except BuergerGISError as exc:
            form.name.errors = [*form.name.errors, exc.description]
    if request.method == "POST":
        status = 400
    with state().engine.connect() as conn:
        listed = users.list_accounts(conn)
    return render_template(
        "admin/accounts.html",
        form=form,
        accounts=listed,
        change=AccountChangeForm(),
        errors=form_errors(form),
    ), status


@bp.post("/accounts/<name>")
@admin_only
def account_change(name: str) -> ResponseReturnValue:
    """Change role, active flag or password of an account (admins; not one's own role)."""
    form = AccountChangeForm()
    if not form.validate():
        raise InvalidParameter("Ungültige Angaben: " + "; ".join(sum(form.errors.values(), [])))
    if name == staff().name and (form.role.data != "admin" or not form.active.data):
        raise InvalidParameter("Das eigene Konto kann nicht herabgestuft oder deaktiviert werden.")
    change_account(
        state().engine,
        name,
        actor=staff().name,
        role=form.role.data,
        active=bool(form.active.data),
        password=form.password.data or None,
    )
    flash(f"Konto {name} geändert.", "success")
    return redirect(url_for("admin.accounts"))


@bp.app_template_filter("localtime")
def localtime(value: datetime | None) -> str:
    """A timestamp as Hameln reads it: ``03.12.2026 14:05``."""
    if value is None:
        return "–"
    return value.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y %H:%M")
