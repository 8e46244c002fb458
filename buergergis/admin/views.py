"""The staff area ``/admin``: wiring of sessions, CSRF, rate limits, the guard and errors.

Every route of the blueprint passes :func:`_guard` first: the API needs a Bearer token (else
401 JSON), pages a session (else a redirect to the login page); the view's role decides
403; every page POST needs a valid CSRF token. Pages get German HTML error pages, the API
the one JSON error body — both through the app's one error path (``web/errors.py``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from buergergis.admin import (  # noqa: F401 - routes on bp
    api,
    api_layers,
    pages,
    pages_manage,
    pages_tokens,
    pages_upload,
)
from buergergis.admin.auth import SessionLimits, init_login, token_user
from buergergis.admin.blueprint import LIMITER, PUBLIC_ENDPOINTS, bp, is_api, required_role
from buergergis.errors import Forbidden, Unauthorized
from buergergis.web import state
from buergergis.web.errors import CSRF_MESSAGE

log = logging.getLogger("buergergis.admin")

__all__ = ["bp", "init_app"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    """Cookie flags, Flask-Login, the login rate limiter (PostgreSQL, shared), CSRF lifetime."""
    settings = app.extensions["buergergis"].settings
    secure = settings.session_cookie_secure
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = (
        settings.public_url.startswith("https://") if secure is None else bool(secure)
    )
    # Flask already sets PERMANENT_SESSION_LIFETIME (31 days), so setdefault would do nothing.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.session_max_hours)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.config["BUERGERGIS_UPLOAD_MAX_MB"] = settings.upload_max_mb
    limits = SessionLimits(settings.session_max_hours * 3600, settings.session_idle_minutes * 60)
    init_login(app, app.extensions["buergergis"].engine, limits)
    # Counters in PostgreSQL: the login limit holds across every worker process and host.
    import buergergis.store.services.limits  # noqa: F401 - registers the buergergis:// storage

    app.extensions[LIMITER] = Limiter(
        get_remote_address,
        app=app,
        storage_uri="buergergis://",
        storage_options={"engine": app.extensions["buergergis"].engine},
        key_prefix="admin-login",
    )


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    """Authenticate, check the role and the CSRF token — before any admin view runs."""
    view = current_app.view_functions.get(request.endpoint or "")
    if is_api():
        user = token_user(state().engine, request.headers.get("Authorization"))
        if user is None:
            raise Unauthorized("Anmeldung erforderlich: Authorization: Bearer <Token>.")
        g.staff = user
    elif request.endpoint not in PUBLIC_ENDPOINTS:
        if not current_user.is_authenticated:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        g.staff = current_user._get_current_object()
    if "staff" in g and not g.staff.has_role(required_role(view)):
        raise Forbidden("Diese Aktion ist der Administration vorbehalten.")
    if not is_api() and request.method not in SAFE_METHODS:
        _check_csrf()
    return None


def _check_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        raise CSRFError(CSRF_MESSAGE) from None


@bp.after_request
def _headers(response: Response) -> Response:
    """No caching, no framing, no sniffing; scripts and styles only from this server."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = _csp()
    return response


def _csp() -> str:
    basemap = urlsplit(state().settings.basemap_url)
    tiles = f" {basemap.scheme}://{basemap.netloc}" if basemap.netloc else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data:{tiles}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


@bp.context_processor
def _template_globals() -> dict[str, object]:
    """``csrf_token()`` and ``staff`` for the admin templates only (not for citizen pages)."""
    return {"csrf_token": generate_csrf, "staff": g.get("staff")}
