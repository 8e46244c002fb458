"""The mail outbox (``buergergis.mail_outbox``): written in the request's transaction, emptied
by the sender with retries. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two senders
never send the same mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

_COLUMNS = (
    "id, anfrage_id, recipient, audience, subject, body, created_at, attempts,"
    " next_attempt_at, sent_at, last_error"
)


@dataclass(frozen=True)
class OutgoingMail:
    """One mail in the outbox."""

    id: int
    anfrage_id: int | None
    recipient: str
    audience: str
    subject: str
    body: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def add(
    conn: Connection,
    *,
    recipient: str,
    audience: str,
    subject: str,
    body: str,
    anfrage_id: int | None = None,
) -> int:
    """Queue one mail; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO buergergis.mail_outbox (anfrage_id, recipient, audience, subject, body)"
                " VALUES (:a, :r, :au, :s, :b) RETURNING id"
            ),
            {"a": anfrage_id, "r": recipient, "au": audience, "s": subject, "b": body},
        ).scalar_one()
    )


def claim_due(conn: Connection, limit: int) -> list[OutgoingMail]:
    """Unsent mails whose next attempt is due, locked until the transaction ends."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.mail_outbox"  # noqa: S608
            " WHERE sent_at IS NULL AND next_attempt_at <= now()"
            " ORDER BY next_attempt_at, id LIMIT :n FOR UPDATE SKIP LOCKED"
        ),
        {"n": limit},
    )
    return [OutgoingMail(*r) for r in rows]


def mark_sent(conn: Connection, mail_id: int) -> None:
    """The server accepted the mail."""
    conn.execute(
        text(
            "UPDATE buergergis.mail_outbox SET sent_at = now(), attempts = attempts + 1,"
            " last_error = NULL WHERE id = :id"
        ),
        {"id": mail_id},
    )


def mark_failed(conn: Connection, mail_id: int, error: str, delay_seconds: int) -> None:
    """Count a failed attempt and schedule the next one."""
    conn.execute(
        text(
            "UPDATE buergergis.mail_outbox SET attempts = attempts + 1, last_error = :e,"
            " next_attempt_at = now() + make_interval(secs => :d) WHERE id = :id"
        ),
        {"id": mail_id, "e": error[:500], "d": delay_seconds},
    )


def pending(conn: Connection, limit: int = 200) -> list[OutgoingMail]:
    """Unsent mails, oldest first (staff area)."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.mail_outbox WHERE sent_at IS NULL"  # noqa: S608
            " ORDER BY created_at, id LIMIT :n"
        ),
        {"n": limit},
    )
    return [OutgoingMail(*r) for r in rows]


def for_request(conn: Connection, anfrage_id: int) -> list[OutgoingMail]:
    """The mails of one request."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.mail_outbox WHERE anfrage_id = :a"  # noqa: S608
            " ORDER BY id"
        ),
        {"a": anfrage_id},
    )
    return [OutgoingMail(*r) for r in rows]


def waiting(conn: Connection) -> int:
    """How many mails wait for delivery (for monitoring)."""
    return int(
        conn.execute(
            text("SELECT count(*) FROM buergergis.mail_outbox WHERE sent_at IS NULL")
        ).scalar_one()
    )
