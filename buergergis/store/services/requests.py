"""Kaufanfragen (``buergergis.kaufanfrage``): citizens' purchase requests for wood lots.

A request is only stored while the lot is ``frei``; the check and the insert run under the
shared form of the layer's advisory lock, so a staff edit that reserves the lot (exclusive
lock) cannot slip in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from buergergis.errors import Conflict, NotFound
from buergergis.store.sql import column, layer_view

REFERENCE_PREFIX = "HV"
_COLUMNS = (
    "id, layer_id, fid, name, kontakt, nachricht, created_at, status, bearbeitet_von,"
    " bearbeitet_at, ergebnis"
)


@dataclass(frozen=True)
class PurchaseRequest:
    """One Kaufanfrage."""

    id: int
    layer_id: str
    fid: str
    name: str
    kontakt: str
    nachricht: str
    created_at: datetime
    status: str
    bearbeitet_von: str | None
    bearbeitet_at: datetime | None
    ergebnis: str | None

    @property
    def reference(self) -> str:
        """The number citizens quote: ``HV-2026-000042``."""
        return reference(self.id, self.created_at.year)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (staff only: contains personal data)."""
        return {
            "reference": self.reference,
            "id": self.id,
            "layer": self.layer_id,
            "fid": self.fid,
            "name": self.name,
            "kontakt": self.kontakt,
            "nachricht": self.nachricht,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "bearbeitet_von": self.bearbeitet_von,
            "bearbeitet_at": self.bearbeitet_at.isoformat() if self.bearbeitet_at else None,
            "ergebnis": self.ergebnis,
        }


def reference(request_id: int, year: int) -> str:
    """The printed reference number of a request."""
    return f"{REFERENCE_PREFIX}-{year}-{request_id:06d}"


def parse_reference(value: str) -> int | None:
    """The request id in a reference number (or a bare number), else ``None``."""
    tail = (value or "").strip().upper().rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and len(tail) <= 12 else None


def lot_status(conn: Connection, layer_id: str, fid: str, status_attr: str) -> str | None:
    """The status of a lot, or ``None`` when there is no such lot."""
    sql = f"SELECT t.{column(status_attr)} AS s FROM {layer_view(layer_id)} t WHERE t.fid = :fid"  # noqa: S608
    row = conn.execute(text(sql), {"fid": fid}).one_or_none()
    if row is None:
        return None
    return str(row.s or "")


def share_layer_lock(conn: Connection, layer_id: str) -> None:
    """The shared form of ``versions.lock_layer`` (same key): waits for a running edit or load
    of the layer, but requests do not wait for each other and keep the statement timeout."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock_shared(hashtext('buergergis.layer'), hashtext(:id))"),
        {"id": layer_id},
    )


def create_request(
    conn: Connection,
    layer_id: str,
    fid: str,
    *,
    name: str,
    kontakt: str,
    nachricht: str,
    status_attr: str = "status",
    free: str = "frei",
) -> PurchaseRequest:
    """Store a request for a free lot (404 unknown lot, 409 not free); call in a transaction."""
    share_layer_lock(conn, layer_id)
    current = lot_status(conn, layer_id, fid, status_attr)
    if current is None:
        raise NotFound(f"Das Los '{fid[:60]}' gibt es nicht.")
    if current != free:
        raise Conflict(
            f"Das Los {fid} ist {current or 'nicht verfügbar'} und kann nicht mehr angefragt "
            "werden. Bitte wählen Sie ein freies Los."
        )
    row = conn.execute(
        text(
            "INSERT INTO buergergis.kaufanfrage (layer_id, fid, name, kontakt, nachricht)"  # noqa: S608
            f" VALUES (:layer, :fid, :name, :kontakt, :nachricht) RETURNING {_COLUMNS}"
        ),
        {"layer": layer_id, "fid": fid, "name": name, "kontakt": kontakt, "nachricht": nachricht},
    ).one()
    return PurchaseRequest(*row)


def get_request(conn: Connection, request_id: int) -> PurchaseRequest | None:
    """One request by id."""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM buergergis.kaufanfrage WHERE id = :id"),  # noqa: S608
        {"id": request_id},
    ).one_or_none()
    return PurchaseRequest(*row) if row else None


def list_requests(
    conn: Connection, *, status: str | None = None, fid: str | None = None, limit: int = 200
) -> list[PurchaseRequest]:
    """Newest first; optionally only ``neu``/``bearbeitet`` or those of one lot."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.kaufanfrage"  # noqa: S608
            " WHERE (CAST(:status AS text) IS NULL OR status = :status)"
            " AND (CAST(:fid AS text) IS NULL OR fid = :fid)"
            " ORDER BY created_at DESC, id DESC LIMIT :limit"
        ),
        {"status": status, "fid": fid, "limit": limit},
    )
    return [PurchaseRequest(*r) for r in rows]


def count_open(conn: Connection) -> int:
    """How many requests are still ``neu`` (for the staff navigation)."""
    return int(
        conn.execute(
            text("SELECT count(*) FROM buergergis.kaufanfrage WHERE status = 'neu'")
        ).scalar_one()
    )


def close_request(
    conn: Connection, request_id: int, *, actor: str, ergebnis: str
) -> PurchaseRequest:
    """Mark a request ``bearbeitet`` with the outcome (404 if unknown)."""
    row = conn.execute(
        text(
            "UPDATE buergergis.kaufanfrage SET status = 'bearbeitet', bearbeitet_von = :actor,"  # noqa: S608
            " bearbeitet_at = now(), ergebnis = :ergebnis WHERE id = :id"
            f" RETURNING {_COLUMNS}"
        ),
        {"id": request_id, "actor": actor, "ergebnis": ergebnis},
    ).one_or_none()
    if row is None:
        raise NotFound(f"Die Kaufanfrage {request_id} gibt es nicht.")
    return PurchaseRequest(*row)
