"""Query parameters of ``/ogc`` → frozen dataclasses; every mistake is a 400 with a clear message."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cql2
from flask import request

from buergergis.errors import InvalidParameter
from buergergis.store.catalog import LayerRecord
from buergergis.store.cql import SQL_TYPES
from buergergis.store.crs import CRS84, SUPPORTED, Crs, find_crs, in_range
from buergergis.store.features import BBox, ItemsQuery, Near, SortKey, TimeFilter, key_columns
from buergergis.store.paging import decode
from buergergis.web.ogc.negotiation import language

COMMON = frozenset({"f", "lang"})
ITEM = COMMON | {"crs", "properties"}
ITEMS = ITEM | {
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "near",
    "near-crs",
    "cursor",
}
FILTER_LANGS = ("cql2-text", "cql2-json")
MAX_FILTER_LENGTH = 20_000
MAX_FILTER_NESTING = 48


def check_known(allowed: frozenset[str], extra: frozenset[str] = frozenset()) -> None:
    """400 for parameters this endpoint does not know, or that appear more than once."""
    unknown = sorted(k for k in request.args if k not in allowed and k not in extra)
    if unknown:
        raise InvalidParameter(
            f"Unbekannter Parameter: {', '.join(unknown)}. "
            f"Erlaubt sind: {', '.join(sorted(allowed | extra))}",
            details={"unknown": unknown},
        )
    repeated = sorted(k for k, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise InvalidParameter(f"Parameter mehrfach angegeben: {', '.join(repeated)}")
    language()


def queryable_names(layer: LayerRecord) -> frozenset[str]:
    """Attributes that can be filtered, sorted and used as query parameters."""
    return frozenset(a.name for a in layer.attributes if a.type in SQL_TYPES)


def parse_crs(name: str, default: Crs = CRS84) -> Crs:
    """A supported CRS from parameter ``name``."""
    value = request.args.get(name)
    if value is None:
        return default
    crs = find_crs(value)
    if crs is None:
        offered = ", ".join(c.uri for c in SUPPORTED)
        raise InvalidParameter(f"{name}={value} wird nicht unterstützt. Möglich: {offered}")
    return crs


def _int(name: str, default: int, minimum: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidParameter(f"{name}={value} ist keine ganze Zahl") from None
    if number < minimum:
        raise InvalidParameter(f"{name} muss mindestens {minimum} sein (angegeben: {value})")
    return number


def _numbers(name: str, value: str) -> list[float]:
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise InvalidParameter(f"{name}={value}: nur durch Kommas getrennte Zahlen") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(f"{name}={value}: Zahlen müssen endlich sein")
    return numbers


def parse_bbox() -> BBox | None:
    """``bbox`` (4 or 6 numbers, in the axis order of ``bbox-crs``)."""
    value = request.args.get("bbox")
    if value is None:
        return None
    numbers = _numbers("bbox", value)
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise InvalidParameter(f"bbox={value}: erwartet werden 4 (oder 6) Zahlen")
    x0, y0, x1, y1 = numbers
    if x0 > x1 or y0 > y1:
        raise InvalidParameter(
            f"bbox={value}: die untere linke Ecke muss vor der oberen rechten stehen "
            "(minx,miny,maxx,maxy)"
        )
    crs = parse_crs("bbox-crs")
    corners = [(x0, y0), (x1, y1)]
    if crs.north_first:
        corners = [(y, x) for x, y in corners]
    if not all(in_range(crs, x, y) for x, y in corners):
        raise InvalidParameter(f"bbox={value} liegt außerhalb des Bereichs von {crs.uri}")
    return BBox(x0, y0, x1, y1, crs)


def parse_near() -> Near | None:
    """``near=x,y`` (axis order of ``near-crs``): order by distance, nearest first."""
    value = request.args.get("near")
    if value is None:
        return None
    numbers = _numbers("near", value)
    if len(numbers) != 2:
        raise InvalidParameter(f"near={value}: erwartet werden zwei Zahlen (x,y)")
    crs = parse_crs("near-crs")
    x, y = (numbers[1], numbers[0]) if crs.north_first else (numbers[0], numbers[1])
    if not in_range(crs, x, y):
        raise InvalidParameter(f"near={value} liegt außerhalb des Bereichs von {crs.uri}")
    return Near(numbers[0], numbers[1], crs)


def _instant(text: str, *, end: bool) -> tuple[datetime, bool]:
    """(moment, inclusive) for one end of ``datetime``; a date covers the whole day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return (moment + timedelta(days=1), False) if end else (moment, True)
        parsed = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(
            f"datetime: '{text}' ist kein Datum (2024-05-01) oder Zeitpunkt (2024-05-01T12:00:00Z)"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), True


def parse_datetime() -> TimeFilter | None:
    """``datetime``: an instant, or ``start/end`` with ``..`` (or empty) for an open end."""
    value = request.args.get("datetime")
    if value is None:
        return None
    parts = value.split("/")
    if len(parts) == 1:
        if parts[0] in ("", ".."):
            raise InvalidParameter("datetime: ein Zeitpunkt darf nicht offen sein")
        start, _ = _instant(parts[0], end=False)
        stop, inclusive = _instant(parts[0], end=True)
        return TimeFilter(start, stop, inclusive)
    if len(parts) != 2:
        raise InvalidParameter(f"datetime={value}: höchstens ein '/' (Anfang/Ende)")
    lo = None if parts[0] in ("", "..") else _instant(parts[0], end=False)[0]
    hi, inclusive = (None, True) if parts[1] in ("", "..") else _instant(parts[1], end=True)
    if lo and hi and lo > hi:
        raise InvalidParameter(f"datetime={value}: der Anfang liegt nach dem Ende")
    return TimeFilter(lo, hi, inclusive)


def parse_filter() -> Any:
    """``filter`` in ``filter-lang`` (cql2-text or cql2-json) as CQL2-JSON."""
    value = request.args.get("filter")
    lang = request.args.get("filter-lang", "cql2-text")
    if lang not in FILTER_LANGS:
        raise InvalidParameter(
            f"filter-lang={lang} wird nicht unterstützt. Möglich: cql2-text, cql2-json"
        )
    if value is None or not value.strip():  # an empty filter (e.g. the HTML form) is none
        return None
    return cql2_json(value, lang)


def cql2_json(value: str, lang: str) -> Any:
    """Parse and normalise a filter with the ``cql2`` library."""
    if len(value) > MAX_FILTER_LENGTH:
        raise InvalidParameter(f"filter: höchstens {MAX_FILTER_LENGTH} Zeichen")
    _check_nesting(value)
    try:
        expr = cql2.parse_text(value) if lang == "cql2-text" else cql2.parse_json(value)
        return expr.to_json()
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise InvalidParameter(
            f"filter ist kein gültiges {lang}", details={"parser": str(exc).strip()}
        ) from None


def _check_nesting(value: str) -> None:
    depth = deepest = 0
    for char in value:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_FILTER_NESTING:
        raise InvalidParameter(
            f"filter ist zu tief verschachtelt (höchstens {MAX_FILTER_NESTING} Klammerebenen)"
        )


def _names(name: str, layer: LayerRecord, allowed: frozenset[str]) -> list[str]:
    value = request.args.get(name, "")
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n.lstrip("+-") for n in names if n.lstrip("+-") not in allowed]
    if unknown:
        raise InvalidParameter(
            f"{name}: unbekannte Eigenschaft {', '.join(unknown)}. "
            f"Möglich: {', '.join(sorted(allowed)) or 'keine'}"
        )
    return names


def parse_properties(layer: LayerRecord) -> tuple[str, ...] | None:
    """``properties``: which attributes to return (all when absent)."""
    if "properties" not in request.args:
        return None
    return tuple(_names("properties", layer, frozenset(a.name for a in layer.attributes)))


def parse_sortby(layer: LayerRecord) -> tuple[SortKey, ...]:
    """``sortby=name,-datum``: ascending unless prefixed with ``-``."""
    names = _names("sortby", layer, queryable_names(layer))
    return tuple(SortKey(n.lstrip("+-"), n.startswith("-")) for n in names)


_QUERYABLE_CHECKS: dict[str, tuple[Callable[[str], object], str]] = {
    "integer": (int, "eine ganze Zahl"),
    "float": (lambda v: math.isfinite(float(v)) or _fail(), "eine endliche Zahl"),
    "boolean": (lambda v: v in ("true", "false") or _fail(), "true oder false"),
    "date": (date.fromisoformat, "ein Datum (2024-05-01)"),
    "datetime": (
        lambda v: datetime.fromisoformat(v.replace("z", "Z").replace("Z", "+00:00")),
        "ein Zeitpunkt (2024-05-01T12:00:00Z)",
    ),
}


def _fail() -> bool:
    raise ValueError


def queryable_filters(layer: LayerRecord) -> list[dict[str, Any]]:
    """``?name=value`` for queryables: equality conditions in CQL2-JSON; the value must be
    of the attribute's type (``besucher=1.5`` is a 400 for an integer attribute)."""
    types = {a.name: a.type for a in layer.attributes}
    conditions = []
    for name in sorted(queryable_names(layer) - ITEMS):
        value = request.args.get(name)
        if value is None:
            continue
        check = _QUERYABLE_CHECKS.get(types[name])
        if check is not None:
            try:
                check[0](value)
            except (ValueError, OverflowError):
                raise InvalidParameter(f"{name}={value}: erwartet wird {check[1]}") from None
        conditions.append({"op": "=", "args": [{"property": name}, value]})
    return conditions


def parse_items(layer: LayerRecord, default_limit: int, max_limit: int) -> ItemsQuery:
    """The whole items request."""
    check_known(ITEMS, queryable_names(layer))
    for name in ("bbox-crs", "near-crs"):  # checked even without bbox or near
        parse_crs(name)
    conditions = queryable_filters(layer)
    parsed = parse_filter()
    if parsed is not None:
        conditions.append(parsed)
    cql = conditions[0] if len(conditions) == 1 else None
    if len(conditions) > 1:
        cql = {"op": "and", "args": conditions}
    query = ItemsQuery(
        limit=min(_int("limit", default_limit, 1), max_limit),
        offset=_int("offset", 0, 0),
        crs=parse_crs("crs"),
        bbox=parse_bbox(),
        datetime=parse_datetime(),
        filter=cql,
        filter_crs=parse_crs("filter-crs"),
        sortby=parse_sortby(layer),
        properties=parse_properties(layer),
        near=parse_near(),
    )
    token = request.args.get("cursor")
    if token is None:
        return query
    if query.near is not None:
        raise InvalidParameter("cursor und near passen nicht zusammen: near blättert mit offset")
    return replace(query, cursor=decode(token, query.order, key_columns(layer, query)))


def filter_json_text(query: ItemsQuery) -> str | None:
    """The effective filter as CQL2-JSON text (for HTML forms and debugging)."""
    return None if query.filter is None else json.dumps(query.filter, ensure_ascii=False)
