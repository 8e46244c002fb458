"""SQL of the e-mail subscriptions (``buergergis.subscription``, migration 0009).

A row holds the layer, the address, the language, the token of the links in the mails, when it
was confirmed and the layer version up to which the subscriber has been told. New features are
those of the Atom feeds' change log (``feature_change``) that first appeared after that version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from buergergis.store.catalog import LayerRecord
from buergergis.store.sql import column, layer_view

_COLUMNS = "id, layer_id, email, lang, token, created_at, confirmed_at, seen_version"


@dataclass(frozen=True)
class Subscription:
    """One subscription."""

    id: int
    layer_id: str
    email: str
    lang: str
    token: str
    created_at: datetime
    confirmed_at: datetime | None
    seen_version: int


def upsert(conn: Connection, layer_id: str, email: str, lang: str, token: str) -> bool:
    """Store an unconfirmed subscription with a fresh token; ``False`` when the address is
    already confirmed for the layer (nothing changes then)."""
    row = conn.execute(
        text(
            "INSERT INTO buergergis.subscription (layer_id, email, lang, token)"
            " VALUES (:l, :e, :lang, :t)"
            " ON CONFLICT (layer_id, email) DO UPDATE SET token = EXCLUDED.token,"
            " lang = EXCLUDED.lang, created_at = now()"
            " WHERE subscription.confirmed_at IS NULL RETURNING id"
        ),
        {"l": layer_id, "e": email, "lang": lang, "t": token},
    ).first()
    return row is not None


def by_token(conn: Connection, token: str) -> Subscription | None:
    """The subscription of a token, if any."""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM buergergis.subscription WHERE token = :t"),  # noqa: S608
        {"t": token},
    ).first()
    return Subscription(*row) if row else None


def confirm(conn: Connection, subscription_id: int) -> None:
    """Double opt-in done: from now on, features newer than the live version are news."""
    conn.execute(
        text(
            "UPDATE buergergis.subscription s SET confirmed_at = now(),"
            " seen_version = coalesce((SELECT version FROM buergergis.layer l"
            " WHERE l.id = s.layer_id), 0) WHERE s.id = :id AND s.confirmed_at IS NULL"
        ),
        {"id": subscription_id},
    )


def delete(conn: Connection, subscription_id: int) -> None:
    """Unsubscribe: the row (and with it the address) is gone."""
    conn.execute(
        text("DELETE FROM buergergis.subscription WHERE id = :id"), {"id": subscription_id}
    )


def purge_unconfirmed(conn: Connection, days: int) -> int:
    """Delete subscriptions not confirmed within ``days``; returns how many."""
    result = conn.execute(
        text(
            "DELETE FROM buergergis.subscription WHERE confirmed_at IS NULL"
            " AND created_at < now() - make_interval(days => :d)"
        ),
        {"d": days},
    )
    return int(result.rowcount or 0)


def confirmed_layers(conn: Connection) -> list[str]:
    """Layers with at least one confirmed subscription."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT layer_id FROM buergergis.subscription"
            " WHERE confirmed_at IS NOT NULL ORDER BY layer_id"
        )
    )
    return [r[0] for r in rows]


def confirmed(conn: Connection, layer_id: str) -> list[Subscription]:
    """Confirmed subscriptions of one layer, locked until the transaction ends."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.subscription"  # noqa: S608
            " WHERE layer_id = :l AND confirmed_at IS NOT NULL ORDER BY id FOR UPDATE"
        ),
        {"l": layer_id},
    )
    return [Subscription(*r) for r in rows]


def new_features(
    conn: Connection, record: LayerRecord, label: str | None, after_version: int, limit: int
) -> list[tuple[str, str]]:
    """``(fid, label)`` of live features that first appeared after ``after_version`` (from the
    feeds' change log; call ``changes.sync`` first), oldest first."""
    label_sql = f"t.{column(label)}::text" if label else "t.fid"
    rows = conn.execute(
        text(
            f"SELECT c.fid, {label_sql} FROM buergergis.feature_change c"  # noqa: S608
            f" JOIN {layer_view(record.id)} t ON t.fid = c.fid"
            " WHERE c.layer_id = :l AND c.first_version > :v"
            " ORDER BY c.first_version, c.fid LIMIT :n"
        ),
        {"l": record.id, "v": after_version, "n": limit},
    )
    return [(str(r[0]), str(r[1] if r[1] is not None else r[0])) for r in rows]


def mark_seen(conn: Connection, subscription_id: int, version: int) -> None:
    """The subscriber has been told about everything up to ``version``."""
    conn.execute(
        text("UPDATE buergergis.subscription SET seen_version = :v WHERE id = :id"),
        {"id": subscription_id, "v": version},
    )
