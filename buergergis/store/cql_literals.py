"""Typed CQL2 literals: bind parameters, coercion, geometry and time literals.

Every literal of a filter becomes ``CAST(%(pN)s AS <type>)``; the types come from the
constants below, never from the request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import shapely
from shapely.geometry import shape

from buergergis.catalog.models import COLUMN_SQL_TYPES
from buergergis.errors import InvalidParameter
from buergergis.store.crs import STORAGE_SRID, Crs, in_range

#: Attribute types that filters and sorting accept (JSON columns are not queryable).
SQL_TYPES = {k: v for k, v in COLUMN_SQL_TYPES.items() if k != "json"}
#: Attribute type → kind used for type checks.
KINDS = {
    "text": "text",
    "integer": "number",
    "float": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamp",
}
KIND_SQL = {
    "text": "text",
    "number": "double precision",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamptz",
}
_MISSING = object()


class Binder:
    """Collects bind parameters (psycopg ``%(name)s`` style) for one statement."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def add(self, value: Any, sql_type: str | None = None) -> str:
        """A placeholder for ``value``, cast to ``sql_type`` (a constant from this module)."""
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        placeholder = f"%({name})s"
        return f"CAST({placeholder} AS {sql_type})" if sql_type else placeholder


@dataclass(frozen=True)
class Typed:
    """A translated scalar: SQL text (or a pending literal) and its kind."""

    kind: str
    sql: str = ""
    value: Any = _MISSING

    @property
    def literal(self) -> bool:
        """A literal not yet bound (its SQL type follows from the other operand)."""
        return self.value is not _MISSING


def bad(message: str) -> InvalidParameter:
    """The error for a filter that cannot be evaluated."""
    return InvalidParameter(f"Ungültiger Filter: {message}")


def parse_time(value: str) -> datetime:
    """An RFC 3339 date-time or date as an aware datetime (dates: 00:00 UTC)."""
    text_value = value.strip()
    try:
        if len(text_value) == 10:
            day = date.fromisoformat(text_value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text_value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"'{value}' ist kein Datum/Zeitpunkt nach RFC 3339") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def geometry_literal(geojson: Mapping[str, Any], crs: Crs, binder: Binder) -> str:
    """A GeoJSON geometry in ``crs`` (axis order of the CRS) as SQL in the storage CRS."""
    try:
        geom = shape(geojson)
    except Exception:
        raise bad("die Geometrie ist nicht lesbar") from None
    return _geometry_sql(geom, crs, binder)


def envelope_literal(values: list[float], crs: Crs, binder: Binder) -> str:
    """A bbox (4 or 6 numbers in the axis order of ``crs``) as SQL in the storage CRS."""
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(isinstance(v, int | float) for v in values):
        raise bad("eine BBOX braucht 4 (oder 6) Zahlen")
    x0, y0, x1, y1 = (float(v) for v in values)
    if x0 > x1 or y0 > y1:
        raise bad("BBOX: Minimum größer als Maximum")
    return _geometry_sql(shapely.box(x0, y0, x1, y1), crs, binder)


def _geometry_sql(geom: Any, crs: Crs, binder: Binder) -> str:
    if geom.is_empty:
        raise bad("die Geometrie ist leer")
    if crs.north_first:
        geom = shapely.transform(geom, lambda c: c[:, ::-1])
    x0, y0, x1, y1 = geom.bounds
    if not (in_range(crs, x0, y0) and in_range(crs, x1, y1)):
        raise bad(f"Koordinaten außerhalb des Gültigkeitsbereichs von {crs.uri}")
    if not shapely.is_valid(geom):
        raise bad(f"ungültige Geometrie ({shapely.is_valid_reason(geom)})")
    wkb = shapely.to_wkb(shapely.set_srid(geom, crs.srid), include_srid=True)
    sql = f"ST_GeomFromEWKB({binder.add(wkb, 'bytea')})"
    if crs.srid == STORAGE_SRID:
        return sql
    return f"ST_Transform(ST_Segmentize({sql}, {crs.segment}), {STORAGE_SRID})"


def common_kind(a: Typed, b: Typed) -> str:
    if a.kind == b.kind:
        return a.kind
    kinds = {a.kind, b.kind}
    if kinds == {"date", "timestamp"}:
        return "timestamp"
    for fixed, other in ((a, b), (b, a)):
        if (
            not fixed.literal
            and isinstance(other.value, str)
            and coercible(other.value, fixed.kind)
        ):
            return fixed.kind
    raise bad(f"Werte vom Typ {a.kind} und {b.kind} können nicht verglichen werden")


def coercible(value: Any, kind: str) -> bool:
    try:
        coerce(value, kind)
    except InvalidParameter:
        return False
    return True


def coerce(value: Any, kind: str) -> Any:  # noqa: C901 - one branch per kind
    if kind == "text":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if kind == "number" and not isinstance(value, bool):
        if isinstance(value, int | float):
            return float(value)
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise bad(f"'{value}' ist keine Zahl") from None
        if math.isfinite(number):
            return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            return parse_time(value).date()
    if kind == "timestamp":
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            return parse_time(value)
    raise bad(f"der Wert {value!r} passt nicht zum Typ {kind}")
