"""Anfragen (``buergergis.anfrage``): requests of citizens for any service layer.

Kaufanfragen, Anmeldungen (with waiting list), Vormerkungen and Bewerbungen share one table.
A request is stored only while its feature accepts requests; the check and the insert run under
the shared form of the layer's advisory lock (a staff edit that reserves the lot holds the
exclusive form), and places are counted under a per-feature lock, so two citizens can never
take the last place together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from buergergis.errors import NotFound
from buergergis.store.sql import column, layer_view

_FIELDS = (
    "id", "reference", "layer_id", "fid", "kind", "name", "kontakt", "email", "teilnehmer",
    "anliegen", "nachricht", "anhang", "anhang_name", "warteliste", "created_at", "status",
    "bearbeitet_von", "bearbeitet_at", "ergebnis", "purge_after",
)  # fmt: skip
_COLUMNS = ", ".join(_FIELDS)


@dataclass(frozen=True)
class ServiceRequest:
    """One stored request (contains personal data: staff and the citizen only)."""

    id: int
    reference: str
    layer_id: str
    fid: str
    kind: str
    name: str
    kontakt: str
    email: str | None
    teilnehmer: str | None
    anliegen: str | None
    nachricht: str
    anhang: str | None
    anhang_name: str | None
    warteliste: bool
    created_at: datetime
    status: str
    bearbeitet_von: str | None
    bearbeitet_at: datetime | None
    ergebnis: str | None
    purge_after: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (Art. 15 export; the attachment's storage path is left out)."""
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "anhang"}
        for key, value in body.items():
            if isinstance(value, datetime):
                body[key] = value.isoformat()
        return body


@dataclass(frozen=True)
class NewRequest:
    """What a citizen submitted, checked by the domain."""

    layer_id: str
    fid: str
    kind: str
    name: str
    kontakt: str
    email: str | None = None
    teilnehmer: str | None = None
    anliegen: str | None = None
    nachricht: str = ""
    anhang_name: str | None = None


def feature_values(
    conn: Connection, layer_id: str, fid: str, names: list[str]
) -> dict[str, Any] | None:
    """The named attributes of one live feature, or ``None`` when there is no such feature."""
    selected = ", ".join(f"t.{column(n)}" for n in names) or "1"
    sql = f"SELECT {selected} FROM {layer_view(layer_id)} t WHERE t.fid = :fid"  # noqa: S608
    row = conn.execute(text(sql), {"fid": fid}).mappings().one_or_none()
    if row is None:
        return None
    return {n: row[n] for n in names}


def share_layer_lock(conn: Connection, layer_id: str) -> None:
    """The shared form of ``versions.lock_layer`` (same key): waits for a running edit or load
    of the layer; requests do not wait for each other."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock_shared(hashtext('buergergis.layer'), hashtext(:id))"),
        {"id": layer_id},
    )


def lock_feature(conn: Connection, layer_id: str, fid: str) -> None:
    """Serialise the place count of one feature until the transaction ends."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('buergergis.anfrage'), hashtext(:key))"),
        {"key": f"{layer_id}/{fid}"},
    )


def places_taken(conn: Connection, layer_id: str, fid: str) -> int:
    """Requests holding a place of a feature (not on the waiting list)."""
    sql = (
        "SELECT count(*) FROM buergergis.anfrage WHERE layer_id = :layer AND fid = :fid"
        " AND NOT warteliste"
    )
    return int(conn.execute(text(sql), {"layer": layer_id, "fid": fid}).scalar_one())


def insert(
    conn: Connection,
    new: NewRequest,
    *,
    prefix: str,
    secret_hash: str,
    waiting: bool,
    purge_after: date | None = None,
) -> ServiceRequest:
    """Store a request with its reference number ``<prefix>-<year>-<id>``; call in a transaction."""
    request_id = int(
        conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('buergergis.anfrage', 'id'))")
        ).scalar_one()
    )
    year = int(conn.execute(text("SELECT extract(year FROM now())::int")).scalar_one())
    values = {f.name: getattr(new, f.name) for f in fields(new)}
    values |= {
        "id": request_id,
        "reference": f"{prefix}-{year}-{request_id:06d}",
        "secret_hash": secret_hash,
        "warteliste": waiting,
        "purge_after": purge_after,
    }
    names = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    row = conn.execute(
        text(
            f"INSERT INTO buergergis.anfrage ({names}) OVERRIDING SYSTEM VALUE"  # noqa: S608
            f" VALUES ({params}) RETURNING {_COLUMNS}"
        ),
        values,
    ).one()
    return ServiceRequest(*row)


def set_attachment(conn: Connection, request_id: int, path: str) -> None:
    """Remember where the attachment of a request is stored."""
    conn.execute(
        text("UPDATE buergergis.anfrage SET anhang = :path WHERE id = :id"),
        {"id": request_id, "path": path},
    )


def get_request(conn: Connection, request_id: int) -> ServiceRequest | None:
    """One request by id."""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM buergergis.anfrage WHERE id = :id"),  # noqa: S608
        {"id": request_id},
    ).one_or_none()
    return ServiceRequest(*row) if row else None


def by_reference(conn: Connection, reference: str) -> tuple[ServiceRequest, str] | None:
    """A request and its secret hash by reference number (case-insensitive)."""
    row = conn.execute(
        text(
            f"SELECT {_COLUMNS}, secret_hash FROM buergergis.anfrage"  # noqa: S608
            " WHERE upper(reference) = upper(:ref)"
        ),
        {"ref": reference},
    ).one_or_none()
    return (ServiceRequest(*row[:-1]), str(row[-1])) if row else None


def list_requests(
    conn: Connection,
    layers: list[str],
    *,
    status: str | None = None,
    fid: str | None = None,
    limit: int = 200,
) -> list[ServiceRequest]:
    """Requests of the given layers, newest first; optionally of one status or feature."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.anfrage"  # noqa: S608
            " WHERE layer_id = ANY(:layers)"
            " AND (CAST(:status AS text) IS NULL OR status = :status)"
            " AND (CAST(:fid AS text) IS NULL OR fid = :fid)"
            " ORDER BY created_at DESC, id DESC LIMIT :limit"
        ),
        {"layers": layers, "status": status, "fid": fid, "limit": limit},
    )
    return [ServiceRequest(*r) for r in rows]


def count_open(conn: Connection, layers: list[str]) -> int:
    """How many requests of these layers are still ``neu`` (staff navigation)."""
    sql = "SELECT count(*) FROM buergergis.anfrage WHERE status = 'neu' AND layer_id = ANY(:l)"
    return int(conn.execute(text(sql), {"l": layers}).scalar_one())


def close_request(
    conn: Connection, request_id: int, *, actor: str, ergebnis: str, retention_days: int
) -> ServiceRequest:
    """Mark a request ``bearbeitet``; it is due for deletion ``retention_days`` later (unless a
    date was already set, as for applications: after the job closed)."""
    row = conn.execute(
        text(
            "UPDATE buergergis.anfrage SET status = 'bearbeitet', bearbeitet_von = :actor,"  # noqa: S608
            " bearbeitet_at = now(), ergebnis = :ergebnis,"
            " purge_after = COALESCE(purge_after, now() + make_interval(days => :days))"
            f" WHERE id = :id RETURNING {_COLUMNS}"
        ),
        {"id": request_id, "actor": actor, "ergebnis": ergebnis, "days": retention_days},
    ).one_or_none()
    if row is None:
        raise NotFound(f"Die Anfrage {request_id} gibt es nicht.")
    return ServiceRequest(*row)


def delete(conn: Connection, request_id: int) -> ServiceRequest | None:
    """Delete one request (its mails go with it); returns what was deleted."""
    row = conn.execute(
        text(f"DELETE FROM buergergis.anfrage WHERE id = :id RETURNING {_COLUMNS}"),  # noqa: S608
        {"id": request_id},
    ).one_or_none()
    return ServiceRequest(*row) if row else None


def delete_due(conn: Connection) -> list[ServiceRequest]:
    """Delete every request whose ``purge_after`` has passed; returns them (for attachments)."""
    rows = conn.execute(
        text(
            "DELETE FROM buergergis.anfrage WHERE purge_after <= now()"  # noqa: S608
            f" RETURNING {_COLUMNS}"
        )
    )
    return [ServiceRequest(*r) for r in rows]


def use_token(conn: Connection, token_hash: str) -> bool:
    """Mark a form token used; ``False`` when it was used before (single use)."""
    row = conn.execute(
        text(
            "INSERT INTO buergergis.form_token_used (token_hash) VALUES (:h)"
            " ON CONFLICT DO NOTHING RETURNING token_hash"
        ),
        {"h": token_hash},
    ).one_or_none()
    return row is not None


def forget_tokens(conn: Connection, older_than_seconds: int) -> int:
    """Drop used-token marks older than a token can live."""
    result = conn.execute(
        text(
            "DELETE FROM buergergis.form_token_used"
            " WHERE used_at < now() - make_interval(secs => :s)"
        ),
        {"s": older_than_seconds},
    )
    return int(result.rowcount or 0)
