"""Keyset (cursor) paging of feature queries: a page continues after the last feature of the
previous one in the current sort order, so a deep page costs as much as the first.

The cursor names the sort keys of that last feature (``sortby`` values, then ``gid``) and the
number of features before the next page (for ``prev`` links and the page's position). Clients
see it as an opaque token (URL-safe Base64 of JSON); a token that does not fit the request is
a 400, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from buergergis.errors import InvalidParameter
from buergergis.store.cql_literals import Binder
from buergergis.store.sql import column

#: Attribute type → SQL type of a cursor value (``gid`` is ``bigint``).
_SQL_TYPES = {
    "text": "text",
    "integer": "bigint",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "integer": (int,),
    "float": (int, float, str),  # NaN and ±Infinity are strings in JSON
    "boolean": (bool,),
    "date": (str,),
    "datetime": (str,),
}


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the feature with these sort keys."""

    #: ``sortby`` as requested (``"gruppe,-wert"``); a cursor only fits its own sort order.
    order: str
    #: Values of the sort keys of the last feature shown, ``gid`` last.
    values: tuple[Any, ...]
    #: Number of features before the page the cursor starts.
    position: int


@dataclass(frozen=True)
class KeyColumn:
    """One sort key: a published attribute (or ``gid``), its type and direction."""

    name: str
    attr_type: str
    descending: bool = False
    nullable: bool = True


def encode(cursor: Cursor) -> str:
    """The opaque token of a cursor."""
    data = json.dumps([cursor.order, list(cursor.values), cursor.position], ensure_ascii=False)
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _invalid(detail: str) -> InvalidParameter:
    return InvalidParameter(
        f"cursor ist ungültig ({detail}). Bitte dem next-Link der vorigen Seite folgen."
    )


def decode(token: str, order: str, keys: list[KeyColumn]) -> Cursor:
    """The cursor of ``token``, checked against the sort order and key types of the request."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("nicht lesbar") from None
    if not (isinstance(data, list) and len(data) == 3 and isinstance(data[1], list)):
        raise _invalid("nicht lesbar")
    token_order, values, position = data
    if token_order != order:
        raise _invalid("er gehört zu einer anderen Sortierung")
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise _invalid("falsche Position")
    if len(values) != len(keys):
        raise _invalid("falsche Anzahl Werte")
    if values[-1] is None:
        raise _invalid("ohne Objekt")
    return Cursor(order, tuple(_value(k, v) for k, v in zip(keys, values, strict=True)), position)


def _value(key: KeyColumn, value: Any) -> Any:
    """A cursor value as the Python value of the key's type."""
    if value is None:
        return None
    types = _JSON_TYPES[key.attr_type]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise _invalid(f"falscher Wert für {key.name}")
    try:
        if key.attr_type == "date":
            return date.fromisoformat(str(value))
        if key.attr_type == "datetime":
            return datetime.fromisoformat(str(value))
        if key.attr_type == "float":
            number = float(str(value))
            if not (math.isfinite(number) or value in ("NaN", "Infinity", "-Infinity")):
                raise ValueError(value)
            return number
    except ValueError:
        raise _invalid(f"falscher Wert für {key.name}") from None
    return value


def _after(col: str, key: KeyColumn, value: str | None) -> str:
    """Rows after ``value`` in this key's order (ascending: NULLs last; descending: first)."""
    if key.descending:
        return f"{col} IS NOT NULL" if value is None else f"{col} < {value}"
    if value is None:
        return "FALSE"
    return f"({col} > {value} OR {col} IS NULL)" if key.nullable else f"{col} > {value}"


def keyset_sql(keys: list[KeyColumn], cursor: Cursor, binder: Binder, alias: str = "t") -> str:
    """The condition "after the cursor" in the order of ``keys`` (``gid`` last, unique)."""
    alternatives = []
    equal: list[str] = []
    for key, raw in zip(keys, cursor.values, strict=True):
        col = f"{alias}.{column(key.name)}"
        value = None if raw is None else binder.add(raw, _SQL_TYPES[key.attr_type])
        after = _after(col, key, value)
        if after != "FALSE":
            alternatives.append("(" + " AND ".join([*equal, after]) + ")")
        equal.append(f"{col} IS NULL" if value is None else f"{col} = {value}")
    return "(" + " OR ".join(alternatives) + ")" if alternatives else "FALSE"
