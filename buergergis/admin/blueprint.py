"""The ``admin`` blueprint and what its views share: the current staff member, roles, state."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, request, url_for

from buergergis.admin.auth import StaffUser
from buergergis.admin.uploads import Upload, open_upload
from buergergis.settings import Settings
from buergergis.web import state

bp = Blueprint("admin", __name__, url_prefix="/admin")

F = TypeVar("F", bound=Callable[..., Any])

#: Key of the login rate limiter (flask-limiter) in ``app.extensions``.
LIMITER = "buergergis_login_limiter"
LOGIN_LIMIT_PER_NAME = "5 per minute"
LOGIN_LIMIT_PER_ADDRESS = "30 per minute"

#: Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = frozenset({"admin.login"})


def admin_only(view: F) -> F:
    """Mark a view as requiring the ``admin`` role (every other view requires ``editor``)."""
    view.required_role = "admin"  # type: ignore[attr-defined]
    return view


def required_role(view: Callable[..., Any] | None) -> str:
    """The role a view needs."""
    return str(getattr(view, "required_role", "editor"))


def is_api() -> bool:
    """Whether the request goes to the JSON API (token auth, JSON errors)."""
    return request.path.startswith("/admin/api/") or request.path == "/admin/api"


def staff() -> StaffUser:
    """The authenticated staff member of this request (set by the guard)."""
    user: StaffUser = g.staff
    return user


def settings() -> Settings:
    """The app's settings."""
    return state().settings


def upload_of(upload_id: str) -> Upload:
    """A staged upload the current user may see (404 otherwise)."""
    user = staff()
    return open_upload(settings(), upload_id, user.name, is_admin=user.is_admin)


def safe_next(target: str | None) -> str:
    """A redirect target inside the staff area (never another site)."""
    parts = urlsplit(target or "")
    if (
        parts.scheme
        or parts.netloc
        or not parts.path.startswith("/admin")
        or "\\" in (target or "")
    ):
        return url_for("admin.index")
    return target or url_for("admin.index")


def login_limits(per_address: bool) -> Any:
    """A context manager counting one login attempt (per address, or per address and name)."""
    limiter = current_app.extensions[LIMITER]
    if per_address:
        return limiter.limit(LOGIN_LIMIT_PER_ADDRESS)
    return limiter.limit(LOGIN_LIMIT_PER_NAME, key_func=_login_key)


def _login_key() -> str:
    name = (request.form.get("name") or "").strip().lower()[:40]
    return f"{request.remote_addr}|{name}"


def lockout_seconds() -> int:
    """Seconds until the login limit that was just hit lets a new attempt through."""
    current = current_app.extensions[LIMITER].current_limit
    reset_at = getattr(current, "reset_at", None)
    if reset_at:
        return max(1, math.ceil(reset_at - time.time()))
    return 60
