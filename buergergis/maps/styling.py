"""One layer style, many renderers: legend entries, browser classes, MapLibre expressions.

``style.by_attribute`` of a layer definition is turned into

* legend entries (the map panel, the embed legend),
* the class table ``static/js/layers.js`` colours each GeoJSON feature with,
* MapLibre paint expressions (vector tiles in the browser and the published style JSON),
* the colour of a value (the status badge of the list pages).

All of them read the same classes, so a value has the same colour everywhere. SLD 1.1 is
written from the same classes by :mod:`buergergis.maps.sld`. Plain data only (no SQL, no Flask).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from buergergis.catalog.models import Style, StyleByAttribute, StyleCategory, value_key
from buergergis.maps.i18n import Lang

#: Circle radius of points in MapLibre (pixels) and the SLD mark size (diameter).
POINT_RADIUS = 6


def geometry_class(geometry_type: str | None) -> str | None:
    """``point``, ``line`` or ``polygon`` for a PostGIS geometry type (``None``: unknown)."""
    if not geometry_type:
        return None
    name = geometry_type.lower().removeprefix("multi")
    if name in {"point", "linestring", "polygon"}:
        return {"linestring": "line"}.get(name, name)
    return "polygon"


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a colour and its label."""

    color: str
    label: str


def _label(de: str | None, en: str | None, lang: Lang, fallback: str) -> str:
    return ((en if lang == "en" else None) or de or fallback).strip()


def legend(style: Style, lang: Lang = "de") -> tuple[LegendEntry, ...]:
    """The classes of a layer in legend order (empty without ``by_attribute``)."""
    by = style.by_attribute
    if by is None:
        return ()
    entries = [
        LegendEntry(c.color, _label(c.label, c.label_en, lang, c.key)) for c in by.categories
    ]
    entries += [LegendEntry(r.color, _label(r.label, r.label_en, lang, r.label)) for r in by.ranges]
    if by.other_label:
        entries.append(
            LegendEntry(style.color, _label(by.other_label, by.other_label_en, lang, ""))
        )
    return tuple(entries)


def browser_classes(style: Style, lang: Lang = "de") -> dict[str, Any] | None:
    """The class table for ``static/js/layers.js`` (``BGIS.classColor``)."""
    by = style.by_attribute
    if by is None:
        return None
    return {
        "attribute": by.attribute,
        "categories": [
            {"key": c.key, "color": c.color, "label": _label(c.label, c.label_en, lang, c.key)}
            for c in by.categories
        ],
        "ranges": [
            {"min": r.min, "max": r.max, "color": r.color, "label": _label(r.label, r.label_en, lang, r.label)}
            for r in by.ranges
        ],
    }  # fmt: skip


def _in_range(number: float, low: float | None, high: float | None) -> bool:
    return (low is None or number >= low) and (high is None or number < high)


def category_of(by: StyleByAttribute, value: Any) -> StyleCategory | None:
    """The category a value falls into (``None``: none matches, or the style has ranges)."""
    if value is None or not by.categories:
        return None
    key = value_key(value) if isinstance(value, str | int | float | bool) else str(value)
    return next((c for c in by.categories if c.key == key), None)


def class_color(by: StyleByAttribute, value: Any) -> str | None:
    """The colour of a value, or ``None`` when no class matches."""
    if by.categories:
        category = category_of(by, value)
        return category.color if category else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return next((r.color for r in by.ranges if _in_range(value, r.min, r.max)), None)


def category_label(category: StyleCategory, lang: Lang = "de") -> str:
    """The legend label of a category in ``lang`` ("available" for ``frei``)."""
    return _label(category.label, category.label_en, lang, category.key)


def color_expression(style: Style, default: str) -> Any:
    """A MapLibre expression for the colour of a feature (a plain colour without classes)."""
    by = style.by_attribute
    if by is None:
        return default
    get = ["get", by.attribute]
    if by.categories:
        pairs: list[Any] = []
        for c in by.categories:
            pairs += [c.key, c.color]
        return ["match", ["to-string", get], *pairs, default]
    cases: list[Any] = ["case", ["!=", ["typeof", get], "number"], default]
    for r in by.ranges:
        tests: list[Any] = []
        if r.min is not None:
            tests.append([">=", get, r.min])
        if r.max is not None:
            tests.append(["<", get, r.max])
        cases += [["all", *tests] if tests else True, r.color]
    return [*cases, default]


def maplibre_layers(
    style: Style, source: str, source_layer: str, geometry: str | None
) -> list[dict[str, Any]]:
    """MapLibre style layers of one BürgerGIS layer, areas below lines below points."""
    fill = color_expression(style, style.fill or style.color)
    line = color_expression(style, style.color)

    def layer(suffix: str, kind: str, flt: list[Any], paint: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{source_layer}-{suffix}",
            "type": kind,
            "source": source,
            "source-layer": source_layer,
            "filter": flt,
            "paint": paint,
        }

    result = []
    if geometry in (None, "polygon"):
        result.append(
            layer(
                "fill",
                "fill",
                ["==", "$type", "Polygon"],
                {"fill-color": fill, "fill-opacity": style.fill_opacity},
            )
        )
    if geometry in (None, "polygon", "line"):
        result.append(
            layer(
                "line",
                "line",
                ["!=", "$type", "Point"],
                {"line-color": line, "line-width": style.weight},
            )
        )
    if geometry in (None, "point"):
        result.append(
            layer(
                "circle",
                "circle",
                ["==", "$type", "Point"],
                {
                    "circle-color": line,
                    "circle-radius": POINT_RADIUS,
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1.5,
                },
            )
        )
    return result
