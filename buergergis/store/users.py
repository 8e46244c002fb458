"""Staff accounts and API tokens (``buergergis.account``, ``buergergis.api_token``).

Only hashes are stored: argon2 for passwords (computed by ``admin/auth.py``), SHA-256 for
API tokens (random 256-bit values, so a fast hash is enough and allows lookup by hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from buergergis.errors import Conflict

ROLES = ("editor", "admin")


@dataclass(frozen=True)
class Account:
    """A staff member as the service sees it (never carries the password hash)."""

    id: int
    name: str
    role: str
    active: bool
    created_at: datetime
    last_login: datetime | None
    session_key: str


#: ``session_key`` changes with the password, so a new password ends all existing sessions.
_COLUMNS = (
    "id, name, role, active, created_at, last_login,"
    " left(encode(sha256(convert_to(password_hash, 'UTF8')), 'hex'), 16) AS session_key"
)


_INSERT = f"""INSERT INTO buergergis.account (name, password_hash, role)
    VALUES (:name, :hash, :role) RETURNING {_COLUMNS}"""  # noqa: S608
_UPDATE = f"""UPDATE buergergis.account SET role = coalesce(:role, role),
    active = coalesce(:active, active), password_hash = coalesce(:hash, password_hash)
    WHERE name = :name RETURNING {_COLUMNS}"""  # noqa: S608


def _account(row: Any) -> Account:
    return Account(
        row.id, row.name, row.role, row.active, row.created_at, row.last_login, row.session_key
    )


def create_account(conn: Connection, name: str, password_hash: str, role: str) -> Account:
    """Insert an account; an existing name is a :class:`Conflict`."""
    try:
        with conn.begin_nested():
            row = conn.execute(
                text(_INSERT),
                {"name": name, "hash": password_hash, "role": role},
            ).one()
    except IntegrityError:
        raise Conflict(f"Das Konto '{name}' gibt es schon.") from None
    return _account(row)


def get_account(conn: Connection, account_id: int) -> Account | None:
    """An account by id."""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM buergergis.account WHERE id = :id"),  # noqa: S608
        {"id": account_id},
    ).one_or_none()
    return _account(row) if row else None


def credentials(conn: Connection, name: str) -> tuple[Account, str] | None:
    """An account and its password hash, for the login check."""
    row = conn.execute(
        text(
            f"SELECT {_COLUMNS}, password_hash FROM buergergis.account WHERE name = :name"  # noqa: S608
        ),
        {"name": name},
    ).one_or_none()
    return (_account(row), row.password_hash) if row else None


def list_accounts(conn: Connection) -> list[Account]:
    """All accounts by name."""
    rows = conn.execute(text(f"SELECT {_COLUMNS} FROM buergergis.account ORDER BY name"))  # noqa: S608
    return [_account(r) for r in rows]


def update_account(
    conn: Connection,
    name: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> Account | None:
    """Change role, active flag or password of an account; ``None`` if it does not exist."""
    row = conn.execute(
        text(_UPDATE),
        {"name": name, "role": role, "active": active, "hash": password_hash},
    ).one_or_none()
    return _account(row) if row else None


def touch_login(conn: Connection, account_id: int) -> None:
    """Remember the time of the last successful login."""
    conn.execute(
        text("UPDATE buergergis.account SET last_login = now() WHERE id = :id"), {"id": account_id}
    )


def create_token(conn: Connection, account_id: int, token_hash: str, label: str) -> None:
    """Store the hash of a new API token."""
    conn.execute(
        text(
            "INSERT INTO buergergis.api_token (account_id, token_hash, label)"
            " VALUES (:account, :hash, :label)"
        ),
        {"account": account_id, "hash": token_hash, "label": label},
    )


def account_for_token(conn: Connection, token_hash: str) -> Account | None:
    """The active account owning a valid token (and note its use)."""
    row = conn.execute(
        text(
            "UPDATE buergergis.api_token t SET last_used = now() FROM buergergis.account a"
            " WHERE t.token_hash = :hash AND NOT t.revoked AND a.id = t.account_id AND a.active"
            " RETURNING a.id, a.name, a.role, a.active, a.created_at, a.last_login,"
            " left(encode(sha256(convert_to(a.password_hash, 'UTF8')), 'hex'), 16) AS session_key"
        ),
        {"hash": token_hash},
    ).one_or_none()
    return _account(row) if row else None


def revoke_tokens(conn: Connection, name: str) -> int:
    """Revoke every token of an account; returns how many."""
    result = conn.execute(
        text(
            "UPDATE buergergis.api_token t SET revoked = true FROM buergergis.account a"
            " WHERE a.id = t.account_id AND a.name = :name AND NOT t.revoked"
        ),
        {"name": name},
    )
    return int(result.rowcount or 0)


# --- server-side staff sessions (``buergergis.staff_session``) ---------------------------------


def create_session(conn: Connection, account_id: int, id_hash: str) -> None:
    """Record a new staff session (only the SHA-256 of its random id is stored)."""
    conn.execute(
        text("INSERT INTO buergergis.staff_session (id_hash, account_id) VALUES (:h, :a)"),
        {"h": id_hash, "a": account_id},
    )


def use_session(
    conn: Connection, account_id: int, id_hash: str, max_seconds: float, idle_seconds: float
) -> bool:
    """Whether the session is open, not older than ``max_seconds`` and not idle longer than
    ``idle_seconds``; an open session's ``last_seen`` is moved to now."""
    row = conn.execute(
        text(
            "UPDATE buergergis.staff_session SET last_seen = now()"
            " WHERE id_hash = :h AND account_id = :a AND ended_at IS NULL"
            " AND created_at > now() - make_interval(secs => :max)"
            " AND last_seen > now() - make_interval(secs => :idle)"
            " RETURNING 1"
        ),
        {"h": id_hash, "a": account_id, "max": max_seconds, "idle": idle_seconds},
    ).one_or_none()
    return row is not None


def end_session(conn: Connection, id_hash: str) -> None:
    """End a session for good (logout): a copied cookie no longer opens anything."""
    conn.execute(
        text(
            "UPDATE buergergis.staff_session SET ended_at = now()"
            " WHERE id_hash = :h AND ended_at IS NULL"
        ),
        {"h": id_hash},
    )


def forget_sessions(conn: Connection, older_than_seconds: float) -> int:
    """Delete ended or expired session rows older than the given age; returns how many."""
    result = conn.execute(
        text(
            "DELETE FROM buergergis.staff_session"
            " WHERE last_seen < now() - make_interval(secs => :age)"
        ),
        {"age": older_than_seconds},
    )
    return int(result.rowcount or 0)


# --- API tokens in the staff area -------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """An API token as the staff area lists it (never the token or its hash)."""

    id: int
    account: str
    label: str
    created_at: datetime
    last_used: datetime | None
    revoked: bool


def list_tokens(conn: Connection, account: str | None) -> list[TokenInfo]:
    """Tokens of one account (``None``: of all accounts), newest first."""
    rows = conn.execute(
        text(
            "SELECT t.id, a.name, t.label, t.created_at, t.last_used, t.revoked"
            " FROM buergergis.api_token t JOIN buergergis.account a ON a.id = t.account_id"
            " WHERE CAST(:name AS text) IS NULL OR a.name = :name"
            " ORDER BY t.revoked, t.created_at DESC, t.id DESC"
        ),
        {"name": account},
    )
    return [TokenInfo(*r) for r in rows]


def revoke_token(conn: Connection, token_id: int, account: str | None) -> str | None:
    """Revoke one token (of ``account``; ``None``: of anyone); returns its owner, or ``None``."""
    row = conn.execute(
        text(
            "UPDATE buergergis.api_token t SET revoked = true FROM buergergis.account a"
            " WHERE t.id = :id AND a.id = t.account_id AND NOT t.revoked"
            " AND (CAST(:name AS text) IS NULL OR a.name = :name) RETURNING a.name"
        ),
        {"id": token_id, "name": account},
    ).one_or_none()
    return row.name if row else None
