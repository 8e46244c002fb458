"""CQL2 (as CQL2-JSON, parsed and validated by the ``cql2`` library) → SQL with bind parameters.

Property names become quoted columns only when they are published attributes of the layer;
every literal becomes a typed bind parameter (``CAST(%(p0)s AS <type>)``, see
:mod:`buergergis.store.cql_literals`). Types are checked here, so a filter such as
``name > 5`` is a 400 with a clear message, never a database error. Dates are instants at
00:00 UTC; ``..`` is an open end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from buergergis.store.cql_literals import (
    KIND_SQL,
    KINDS,
    SQL_TYPES,
    Binder,
    Typed,
    bad,
    coerce,
    common_kind,
    envelope_literal,
    geometry_literal,
    parse_time,
)
from buergergis.store.crs import Crs
from buergergis.store.sql import column

__all__ = ["SQL_TYPES", "Binder", "CqlTranslator", "bad", "envelope_literal", "geometry_literal"]

_COMPARISON = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_disjoint": "ST_Disjoint",
    "s_contains": "ST_Contains",
    "s_within": "ST_Within",
    "s_touches": "ST_Touches",
    "s_crosses": "ST_Crosses",
    "s_overlaps": "ST_Overlaps",
    "s_equals": "ST_Equals",
}
#: Allen's interval relations on (lo, hi) pairs; instants have lo = hi.
_TEMPORAL = {
    "t_after": "{a0} > {b1}",
    "t_before": "{a1} < {b0}",
    "t_contains": "{a0} < {b0} AND {a1} > {b1}",
    "t_disjoint": "({a1} < {b0} OR {a0} > {b1})",
    "t_during": "{a0} > {b0} AND {a1} < {b1}",
    "t_equals": "{a0} = {b0} AND {a1} = {b1}",
    "t_finishedby": "{a0} < {b0} AND {a1} = {b1}",
    "t_finishes": "{a0} > {b0} AND {a1} = {b1}",
    "t_intersects": "{a0} <= {b1} AND {a1} >= {b0}",
    "t_meets": "{a1} = {b0}",
    "t_metby": "{a0} = {b1}",
    "t_overlappedby": "{a0} > {b0} AND {a0} < {b1} AND {a1} > {b1}",
    "t_overlaps": "{a0} < {b0} AND {a1} > {b0} AND {a1} < {b1}",
    "t_startedby": "{a0} = {b0} AND {a1} > {b1}",
    "t_starts": "{a0} = {b0} AND {a1} < {b1}",
}
#: CQL2 arithmetic on numbers (in double precision; a zero divisor gives NULL, so the row
#: does not match; an overflow is a value the database refuses, a 400).
_ARITHMETIC = {
    "+": "({a} + {b})",
    "-": "({a} - {b})",
    "*": "({a} * {b})",
    "/": "({a} / NULLIF({b}, 0))",
    "%": "CAST(mod(CAST({a} AS numeric), NULLIF(CAST({b} AS numeric), 0)) AS double precision)",
    "div": "trunc({a} / NULLIF({b}, 0))",
    "^": "power({a}, {b})",
}
MAX_DEPTH = 40
MAX_NODES = 400


class CqlTranslator:
    """Translate one CQL2-JSON expression for a layer; use :meth:`where`."""

    def __init__(
        self,
        attributes: Mapping[str, str],
        filter_crs: Crs,
        binder: Binder,
        *,
        alias: str = "t",
        geometry_names: tuple[str, ...] = ("geometry", "geom"),
    ) -> None:
        self.attributes = {k: v for k, v in attributes.items() if v in SQL_TYPES}
        self.crs = filter_crs
        self.binder = binder
        self.alias = alias
        self.geometry_names = tuple(g for g in geometry_names if g not in self.attributes)
        self._nodes = 0

    def where(self, node: Any) -> str:
        """The SQL condition for a whole filter."""
        _check_size(node)
        return self.condition(node)

    # -- conditions -------------------------------------------------------------------
    def condition(self, node: Any) -> str:
        """A boolean SQL expression."""
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        if isinstance(node, dict) and "property" in node:
            typed = self.scalar(node)
            if typed.kind == "boolean":
                return typed.sql
        if not isinstance(node, dict) or "op" not in node:
            raise bad("erwartet wird eine Bedingung (z. B. name = 'Wert')")
        op, args = str(node["op"]).lower(), node.get("args", [])
        handler = self._handlers().get(op)
        if handler is not None:
            return handler(args)
        if op in _SPATIAL:
            return self._spatial(op, args)
        if op in _TEMPORAL:
            return self._temporal(op, args)
        raise bad(f"der Operator '{node['op']}' wird nicht unterstützt")

    def _handlers(self) -> dict[str, Callable[[list[Any]], str]]:
        handlers: dict[str, Callable[[list[Any]], str]] = {
            "and": lambda a: self._logical("AND", a),
            "or": lambda a: self._logical("OR", a),
            "not": lambda a: f"NOT ({self.condition(self._one(a))})",
            "isnull": lambda a: f"({self._nullable(self._one(a))}) IS NULL",
            "like": self._like,
            "between": self._between,
            "in": self._in,
        }
        for op in _COMPARISON:
            handlers[op] = partial(self._compare, op)
        return handlers

    def _logical(self, joiner: str, args: list[Any]) -> str:
        if len(args) < 2:
            raise bad(f"{joiner} braucht mindestens zwei Bedingungen")
        return "(" + f" {joiner} ".join(self.condition(a) for a in args) + ")"

    @staticmethod
    def _one(args: Any) -> Any:
        if isinstance(args, list):
            if len(args) != 1:
                raise bad("der Operator erwartet genau ein Argument")
            return args[0]
        return args

    def _nullable(self, node: Any) -> str:
        if self._is_geometry(node):
            return f"{self.alias}.geom"
        typed = self.scalar(node)
        return typed.sql if not typed.literal else self._bind(typed, typed.kind)

    def _compare(self, op: str, args: list[Any]) -> str:
        lhs, rhs = self._pair(args)
        return f"{lhs} {_COMPARISON[op]} {rhs}"

    def _pair(self, args: list[Any], allowed: tuple[str, ...] | None = None) -> tuple[str, str]:
        if not isinstance(args, list) or len(args) != 2:
            raise bad("ein Vergleich braucht genau zwei Werte")
        a, b = self.scalar(args[0]), self.scalar(args[1])
        kind = common_kind(a, b)
        if allowed is not None and kind not in allowed:
            raise bad(f"der Operator ist für Werte vom Typ {kind} nicht definiert")
        return self._as(a, kind), self._as(b, kind)

    def _like(self, args: list[Any]) -> str:
        lhs, rhs = self._pair(args, allowed=("text",))
        return f"{lhs} LIKE {rhs}"

    def _between(self, args: list[Any]) -> str:
        if not isinstance(args, list) or len(args) != 3:
            raise bad("BETWEEN braucht einen Wert und zwei Grenzen")
        value, low, high = (self.scalar(a) for a in args)
        kind = common_kind(value, low)
        kind = common_kind(Typed(kind), high)
        if kind not in ("number", "date", "timestamp", "text"):
            raise bad(f"BETWEEN ist für Werte vom Typ {kind} nicht definiert")
        parts = [self._as(t, kind) for t in (value, low, high)]
        return f"{parts[0]} BETWEEN {parts[1]} AND {parts[2]}"

    def _in(self, args: list[Any]) -> str:
        if not isinstance(args, list) or len(args) != 2 or not isinstance(args[1], list):
            raise bad("IN braucht einen Wert und eine Liste")
        if not args[1]:
            raise bad("die Liste von IN ist leer")
        value = self.scalar(args[0])
        items = [self.scalar(a) for a in args[1]]
        kind = value.kind
        for item in items:
            kind = common_kind(Typed(kind), item)
        listed = ", ".join(self._as(i, kind) for i in items)
        return f"{self._as(value, kind)} IN ({listed})"

    # -- scalars ----------------------------------------------------------------------
    def scalar(self, node: Any) -> Typed:
        """A scalar operand (property, literal, CASEI/ACCENTI)."""
        self._count()
        if isinstance(node, bool):
            return Typed("boolean", value=node)
        if isinstance(node, int | float):
            if not math.isfinite(node):
                raise bad("Zahlen müssen endlich sein")
            return Typed("number", value=node)
        if isinstance(node, str):
            return Typed("text", value=node)
        if isinstance(node, dict):
            return self._scalar_object(node)
        raise bad("unerwarteter Wert im Filter")

    def _scalar_object(self, node: dict[str, Any]) -> Typed:
        if "property" in node:
            return self._property(str(node["property"]))
        if "date" in node:
            return Typed("date", value=parse_time(str(node["date"])).date())
        if "timestamp" in node:
            return Typed("timestamp", value=parse_time(str(node["timestamp"])))
        op = str(node.get("op", "")).lower()
        if op in _ARITHMETIC:
            return self._arithmetic(op, node.get("args", []))
        if op in ("casei", "accenti"):
            inner = self.scalar(self._one(node.get("args", [])))
            if inner.kind != "text":
                raise bad(f"{op.upper()} ist nur für Text definiert")
            sql = self._as(inner, "text")
            func = "lower" if op == "casei" else "buergergis.immutable_unaccent"
            return Typed("text", f"{func}({sql})")
        if "type" in node or "bbox" in node:
            raise bad("eine Geometrie ist hier nicht erlaubt (nur in S_-Funktionen)")
        if "interval" in node:
            raise bad("ein INTERVAL ist nur in T_-Funktionen erlaubt")
        raise bad(f"'{op or node}' wird als Wert nicht unterstützt")

    def _arithmetic(self, op: str, args: Any) -> Typed:
        """``+ - * / % div ^`` on two numbers (CQL2 writes a unary minus as ``-1 * x``)."""
        if not isinstance(args, list) or len(args) != 2:
            raise bad(f"die Rechenart '{op}' braucht genau zwei Zahlen")
        operands = [self.scalar(a) for a in args]
        if any(o.kind != "number" for o in operands):
            raise bad(f"mit '{op}' kann nur mit Zahlen gerechnet werden")
        a, b = (
            self._as(o, "number") if o.literal else f"CAST({o.sql} AS double precision)"
            for o in operands
        )
        return Typed("number", _ARITHMETIC[op].format(a=a, b=b))

    def _property(self, name: str) -> Typed:
        attr_type = self.attributes.get(name)
        if attr_type is None:
            if name in self.geometry_names:
                raise bad(f"die Geometrie '{name}' kann nur in S_-Funktionen verwendet werden")
            known = ", ".join(sorted(self.attributes)) or "keine"
            raise bad(f"unbekannte Eigenschaft '{name}'. Abfragbar: {known}")
        return Typed(KINDS[attr_type], f"{self.alias}.{column(name)}")

    def _as(self, typed: Typed, kind: str) -> str:
        if typed.literal:
            return self._bind(typed, kind)
        if typed.kind == "date" and kind == "timestamp":
            return f"(CAST({typed.sql} AS timestamp) AT TIME ZONE 'UTC')"
        return typed.sql

    def _bind(self, typed: Typed, kind: str) -> str:
        return self.binder.add(coerce(typed.value, kind), KIND_SQL[kind])

    # -- spatial and temporal ------------------------------------------------------------
    def _is_geometry(self, node: Any) -> bool:
        return isinstance(node, dict) and node.get("property") in self.geometry_names

    def _spatial(self, op: str, args: list[Any]) -> str:
        if not isinstance(args, list) or len(args) != 2:
            raise bad(f"{op.upper()} braucht zwei Geometrien")
        a, b = (self._geometry(x) for x in args)
        return f"{_SPATIAL[op]}({a}, {b})"

    def _geometry(self, node: Any) -> str:
        self._count()
        if self._is_geometry(node):
            return f"{self.alias}.geom"
        if isinstance(node, dict) and "bbox" in node:
            return envelope_literal(list(node["bbox"]), self.crs, self.binder)
        if isinstance(node, dict) and "type" in node:
            return geometry_literal(node, self.crs, self.binder)
        if isinstance(node, dict) and "property" in node:
            raise bad(f"'{node['property']}' ist keine Geometrie")
        raise bad("erwartet wird eine Geometrie (Eigenschaft, WKT/GeoJSON oder BBOX)")

    def _temporal(self, op: str, args: list[Any]) -> str:
        if not isinstance(args, list) or len(args) != 2:
            raise bad(f"{op.upper()} braucht zwei zeitliche Werte")
        (a0, a1), (b0, b1) = (self._period(x) for x in args)
        return "(" + _TEMPORAL[op].format(a0=a0, a1=a1, b0=b0, b1=b1) + ")"

    def _period(self, node: Any) -> tuple[str, str]:
        if isinstance(node, dict) and "interval" in node:
            bounds = node["interval"]
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise bad("INTERVAL braucht Anfang und Ende")
            return self._instant(bounds[0], "-infinity"), self._instant(bounds[1], "infinity")
        instant = self._instant(node, None)
        return instant, instant

    def _instant(self, node: Any, open_end: str | None) -> str:
        if node == ".." and open_end is not None:
            return f"CAST('{open_end}' AS timestamptz)"
        if isinstance(node, str):
            node = {"timestamp": node}
        typed = self.scalar(node)
        if typed.kind not in ("date", "timestamp"):
            raise bad("T_-Funktionen brauchen Datums- oder Zeitwerte")
        return self._as(typed, "timestamp")

    def _count(self) -> None:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise bad(f"der Filter ist zu groß (höchstens {MAX_NODES} Elemente)")


def _check_size(node: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise bad(f"der Filter ist zu tief verschachtelt (höchstens {MAX_DEPTH} Ebenen)")
    if isinstance(node, dict):
        for value in node.values():
            _check_size(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _check_size(value, depth + 1)
