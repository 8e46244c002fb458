"""Staff accounts: argon2 passwords, Flask-Login sessions, API tokens and the two roles.

``editor`` manages layers; ``admin`` also manages accounts and reads the audit log. Pages use
the session (Flask-Login); the JSON API under ``/admin/api`` only accepts
``Authorization: Bearer <token>``, so a browser session can never be abused for API calls.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask
from flask_login import LoginManager, UserMixin
from sqlalchemy import Engine

from buergergis.errors import InvalidParameter, NotFound
from buergergis.store import audit, users
from buergergis.store.users import ROLES, Account

ROLE_RANK = {"editor": 1, "admin": 2}
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "bg_"

_hasher = PasswordHasher()


class StaffUser(UserMixin):
    """The logged-in staff member (Flask-Login user); ``sid`` is its server-side session."""

    def __init__(self, account: Account, sid: str = "") -> None:
        self.account = account
        self.sid = sid

    def get_id(self) -> str:
        """Session id: account id, a key that changes with the password, the server session."""
        return f"{self.account.id}:{self.account.session_key}:{self.sid}"

    @property
    def name(self) -> str:
        """Login name."""
        return self.account.name

    @property
    def role(self) -> str:
        """``editor`` or ``admin``."""
        return self.account.role

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot log in."""
        return self.account.active

    @property
    def is_admin(self) -> bool:
        """May manage accounts."""
        return self.has_role("admin")

    def has_role(self, role: str) -> bool:
        """Whether this user's role includes ``role``."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


def normalise_name(name: str) -> str:
    """A valid login name (lowercase letters, digits, ``.``, ``_``, ``-``) or a 400."""
    value = (name or "").strip().lower()
    if not NAME_PATTERN.match(value):
        raise InvalidParameter(
            "Ungültiger Name: 2–40 Zeichen, Kleinbuchstaben, Ziffern, Punkt, Binde- und "
            "Unterstrich; am Anfang ein Buchstabe."
        )
    return value


def check_role(role: str) -> str:
    """A known role or a 400."""
    if role not in ROLES:
        raise InvalidParameter(f"Unbekannte Rolle '{role}'. Möglich: {', '.join(ROLES)}.")
    return role


def hash_password(password: str) -> str:
    """Argon2id hash of an acceptable password."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidParameter(
            f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein."
        )
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def authenticate(engine: Engine, name: str, password: str) -> StaffUser | None:
    """The user for a correct name and password, else ``None`` (same work either way)."""
    with engine.begin() as conn:
        found = users.credentials(conn, (name or "").strip().lower())
        stored = found[1] if found else _dummy_hash()
        try:
            _hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if found is None or not found[0].active:
            return None
        account = found[0]
        if _hasher.check_needs_rehash(stored):
            account = (
                users.update_account(conn, account.name, password_hash=_hasher.hash(password))
                or account
            )
        users.touch_login(conn, account.id)
    return StaffUser(account)


@dataclass(frozen=True)
class SessionLimits:
    """How long a staff session lives at most, and how long it may sit idle (seconds)."""

    max_seconds: float
    idle_seconds: float


def start_session(engine: Engine, user: StaffUser) -> StaffUser:
    """Open a server-side session for a user who just logged in."""
    sid = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        users.create_session(conn, user.account.id, token_hash(sid))
    return StaffUser(user.account, sid)


def end_session(engine: Engine, user: StaffUser) -> None:
    """Close the user's server-side session (logout)."""
    if user.sid:
        with engine.begin() as conn:
            users.end_session(conn, token_hash(user.sid))


def session_user(engine: Engine, user_id: str, limits: SessionLimits) -> StaffUser | None:
    """Flask-Login's user loader: password key and an open, fresh server session must match."""
    raw_id, key, sid = (user_id.split(":", 2) + ["", ""])[:3]
    if not raw_id.isdigit() or not sid:
        return None
    with engine.begin() as conn:
        account = users.get_account(conn, int(raw_id))
        if account is None or not account.active or account.session_key != key:
            return None
        fresh = users.use_session(
            conn, account.id, token_hash(sid), limits.max_seconds, limits.idle_seconds
        )
    return StaffUser(account, sid) if fresh else None


def token_hash(token: str) -> str:
    """SHA-256 of an API token (what the database stores)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_user(engine: Engine, authorization: str | None) -> StaffUser | None:
    """The user of an ``Authorization: Bearer …`` header, else ``None``."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with engine.begin() as conn:
        account = users.account_for_token(conn, token_hash(token))
    return StaffUser(account) if account else None


def add_account(engine: Engine, name: str, password: str, role: str, *, actor: str) -> Account:
    """Create an account (audited)."""
    name, role = normalise_name(name), check_role(role)
    hashed = hash_password(password)
    with engine.begin() as conn:
        account = users.create_account(conn, name, hashed, role)
        audit.record(conn, actor, "account_add", details={"account": name, "role": role})
    return account


def change_account(
    engine: Engine,
    name: str,
    *,
    actor: str,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> Account:
    """Change role, active flag or password of an account (audited)."""
    hashed = hash_password(password) if password else None
    with engine.begin() as conn:
        account = users.update_account(
            conn,
            name,
            role=check_role(role) if role else None,
            active=active,
            password_hash=hashed,
        )
        if account is None:
            raise NotFound(f"Das Konto '{name}' gibt es nicht.")
        changes = {"role": role, "active": active, "password": bool(password)}
        audit.record(conn, actor, "account_change", details={"account": name, **changes})
    return account


def create_api_token(engine: Engine, name: str, *, label: str = "", actor: str) -> str:
    """A new API token for ``name``; only its hash is stored, so it is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        found = users.credentials(conn, name.strip().lower())
        if found is None:
            raise NotFound(f"Das Konto '{name}' gibt es nicht.")
        users.create_token(conn, found[0].id, token_hash(token), label)
        audit.record(conn, actor, "token_create", details={"account": found[0].name})
    return token


def init_login(app: Flask, engine: Engine, limits: SessionLimits) -> LoginManager:
    """Flask-Login for the staff pages (no context processor: citizen pages stay untouched)."""
    manager = LoginManager()
    manager.init_app(app, add_context_processor=False)
    manager.login_view = "admin.login"
    manager.login_message = "Bitte melden Sie sich an."
    manager.session_protection = "basic"

    @manager.user_loader
    def _load(user_id: str) -> StaffUser | None:
        return session_user(engine, user_id, limits)

    return manager
