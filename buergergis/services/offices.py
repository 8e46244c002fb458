"""Bürgeramt service points with their opening status, and the nearest one open now."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from buergergis.errors import InvalidParameter, NotFound
from buergergis.services.opening import HoursError, OpeningStatus, status, to_berlin
from buergergis.store.catalog import LayerRecord
from buergergis.store.services import queries
from buergergis.store.services.queries import Row

log = logging.getLogger("buergergis.services.offices")

HOURS = "oeffnungszeiten"
FIELDS = (
    "name", "adresse", "leistungen", HOURS, "termin_url", "online_url", "telefon", "ortsteil",
    "hinweis",
)  # fmt: skip
#: How many of the nearest offices are checked for "open now".
CANDIDATES = 50


@dataclass(frozen=True)
class Office:
    """A service point and its state at the evaluation time."""

    row: Row
    status: OpeningStatus

    @property
    def name(self) -> str:
        """Display name."""
        return str(self.row.values.get("name") or self.row.fid)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.row.fid,
            **{k: v for k, v in self.row.values.items()},
            "lon": self.row.lon,
            "lat": self.row.lat,
            "distance_m": self.row.distance_m,
            "status": self.status.to_dict(),
        }


def fields(record: LayerRecord) -> tuple[str, ...]:
    """The office attributes this layer has."""
    names = {a.name for a in record.attributes}
    return tuple(f for f in FIELDS if f in names)


def evaluate(row: Row, at: datetime | None) -> OpeningStatus:
    """The status of one office; unreadable hours in the data count as "unknown"."""
    expression = str(row.values.get(HOURS) or "")
    try:
        return status(expression, at)
    except HoursError:
        log.warning("unreadable opening hours of %s: %r", row.fid, expression)
        return OpeningStatus("unknown", to_berlin(at), None, "Öffnungszeiten nicht lesbar", None)


def near(
    conn: Connection, record: LayerRecord, lon: float, lat: float, at: datetime | None
) -> list[Office]:
    """The nearest offices (by distance) with their status at ``at``."""
    found = queries.nearest(conn, record, fields(record), lon, lat, CANDIDATES)
    return [Office(r, evaluate(r, at)) for r in found]


def one(conn: Connection, record: LayerRecord, fid: str, at: datetime | None) -> Office:
    """One service point with its status at ``at`` (map popups); German 400/404 otherwise."""
    if not fid:
        raise InvalidParameter(
            "Parameter 'id' fehlt: die Kennung einer Servicestelle.",
            description_en="Parameter 'id' missing: the identifier of a service point.",
        )
    row = queries.feature(conn, record, fid, fields(record))
    if row is None:
        raise NotFound(
            f"Die Servicestelle '{fid[:60]}' gibt es nicht.",
            description_en=f"There is no service point '{fid[:60]}'.",
        )
    return Office(row, evaluate(row, at))


def everything(conn: Connection, record: LayerRecord, at: datetime | None) -> list[Office]:
    """All offices ordered by name."""
    found = queries.rows(conn, record, fields(record), order="name")
    return [Office(r, evaluate(r, at)) for r in found]


def nearest_open(offices: list[Office]) -> Office | None:
    """The first open office of a distance-ordered list."""
    return next((o for o in offices if o.status.is_open), None)


def opening_next(offices: list[Office]) -> Office | None:
    """The closed office that opens soonest (nearest on ties)."""
    closed = [
        (o.status.next_change.astimezone(UTC), o.row.distance_m or 0.0, i, o)
        for i, o in enumerate(offices)
        if o.status.state == "closed" and o.status.next_change is not None
    ]
    return min(closed)[3] if closed else None
