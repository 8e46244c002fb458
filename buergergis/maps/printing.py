"""The print of the city map (``/druck.pdf``, issue 16): parameters, paper, scale and legend.

The map's print button passes its view with the permalink's parameter names (``center``,
``zoom``, ``layers``, ``basemap``, ``lang``, ``alle``; ``maps.view``) plus ``format`` (A4, A3),
``orientation`` (portrait, landscape) and an optional ``title``. This module turns them into a
:class:`PrintPage` – paper and map frame in millimetres and CSS pixels, scale bar, legend,
sources – for the template ``maps/print.html``; the picture itself comes from
``buergergis.tiles.picture`` and the PDF from ``services.report_pdf`` (the same WeasyPrint
mechanism as „Mein Ort"). No SQL, no Flask.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from buergergis.errors import InvalidParameter
from buergergis.maps.build import DEFAULT_ZOOM, FEATURE_ZOOM
from buergergis.maps.layers import MapLayer, draw_order
from buergergis.maps.styling import LegendEntry, class_color
from buergergis.maps.tools import PRINT_TEXTS
from buergergis.maps.view import MapView, parse_view
from buergergis.tiles.picture import Frame, Paint

#: Paper sizes (width, height in mm, portrait).
PAPERS: dict[str, tuple[int, int]] = {"A4": (210, 297), "A3": (297, 420)}
ORIENTATIONS = ("portrait", "landscape")
MARGIN_MM = 10.0
HEADER_MM = 18.0
FOOTER_MM = 17.0
#: Landscape: the legend is a column right of the map; portrait: a band below it.
LEGEND_COLUMN_MM = 64.0
LEGEND_BAND_MM = {"A4": 45.0, "A3": 50.0}
PX_PER_MM = 96 / 25.4
TITLE_MAX = 80
#: Marks of text that make a layer "Beispieldaten" (its attribution or description says so).
DEMO_MARKS = ("beispieldaten", "sample data")


def nice_length(target_m: float) -> tuple[float, str]:
    """The largest round length (1, 2, 5 × 10ⁿ m, at least 1 m) not above ``target_m`` and its
    label (``500 m``, ``2 km``) – the length of a scale bar."""
    metres = 1.0
    exponent = math.floor(math.log10(target_m)) if target_m >= 1 else 0
    for step in (5, 2, 1):
        candidate = step * 10.0**exponent
        if candidate <= target_m:
            metres = candidate
            break
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return metres, label


def german_int(value: int, lang: str) -> str:
    """``25000`` → ``25.000`` (German) or ``25,000`` (English)."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "de" else text


@dataclass(frozen=True)
class PrintRequest:
    """What ``/druck.pdf`` is asked for."""

    view: MapView
    paper: str
    orientation: str
    title: str | None


def parse_print(args: Mapping[str, str]) -> PrintRequest:
    """Validate the parameters (German messages; errors become 400 on the one error path)."""
    view = parse_view(args)
    paper = (args.get("format") or "A4").strip().upper()
    if paper not in PAPERS:
        raise InvalidParameter("Parameter 'format': erlaubt sind 'A4' und 'A3'.")
    orientation = (args.get("orientation") or "landscape").strip().lower()
    if orientation not in ORIENTATIONS:
        raise InvalidParameter("Parameter 'orientation': erlaubt sind 'portrait' und 'landscape'.")
    title = " ".join((args.get("title") or "").split()) or None
    if title is not None and len(title) > TITLE_MAX:
        raise InvalidParameter(f"Parameter 'title': höchstens {TITLE_MAX} Zeichen.")
    return PrintRequest(view, paper, orientation, title)


@dataclass(frozen=True)
class LegendItem:
    """One layer in the printed legend."""

    title: str
    geometry: str | None
    color: str
    fill: str
    fill_opacity: float
    classes: tuple[LegendEntry, ...]


@dataclass(frozen=True)
class ScaleBar:
    """The scale bar (length, label, width in mm) and the scale ratio (1:n)."""

    metres: float
    label: str
    width_mm: float
    ratio: int


@dataclass(frozen=True)
class PrintPage:
    """Everything ``maps/print.html`` needs besides the picture."""

    request: PrintRequest
    page_mm: tuple[float, float]
    map_mm: tuple[float, float]
    frame: Frame
    scale: ScaleBar
    legend: tuple[LegendItem, ...]
    sources: tuple[str, ...]
    demo: bool
    day: str
    texts: dict[str, str]

    @property
    def landscape(self) -> bool:
        """Legend right of the map (landscape) or below it (portrait)."""
        return self.request.orientation == "landscape"

    @property
    def ratio_text(self) -> str:
        """The scale ratio's number in the page language (``25.000``)."""
        return german_int(self.scale.ratio, self.request.view.lang)

    @property
    def heading(self) -> str:
        """The title on the sheet."""
        return self.request.title or self.texts["title"]


def page_size(paper: str, orientation: str) -> tuple[float, float]:
    """Sheet size in mm (width, height)."""
    w, h = PAPERS[paper]
    return (float(h), float(w)) if orientation == "landscape" else (float(w), float(h))


def map_size(paper: str, orientation: str) -> tuple[float, float]:
    """Size of the map frame on the sheet in mm."""
    w, h = page_size(paper, orientation)
    inner_w, inner_h = w - 2 * MARGIN_MM, h - 2 * MARGIN_MM - HEADER_MM - FOOTER_MM
    if orientation == "landscape":
        return inner_w - LEGEND_COLUMN_MM, inner_h
    return inner_w, inner_h - LEGEND_BAND_MM[paper]


def scale_bar(frame: Frame, lang: str, max_mm: float = 40.0) -> ScaleBar:
    """A round scale bar no longer than ``max_mm`` and the ratio (two significant digits)."""
    metres_per_mm = frame.metres_per_px * PX_PER_MM
    metres, label = nice_length(max_mm * metres_per_mm)
    raw = metres_per_mm * 1000
    digits = max(0, int(math.floor(math.log10(raw))) - 1)
    ratio = int(round(raw / 10**digits) * 10**digits)
    return ScaleBar(metres, label, round(metres / metres_per_mm, 2), ratio)


def is_demo(layer: MapLayer) -> bool:
    """Whether a layer says of itself that it holds sample data."""
    text = f"{layer.attribution} {layer.description}".lower()
    return any(mark in text for mark in DEMO_MARKS)


def printable(layers: list[MapLayer], shown: set[str]) -> list[MapLayer]:
    """The shown layers that a print can draw (loaded vector and raster), bottom first."""
    order = draw_order(layers)
    chosen = [la for la in layers if la.id in shown and la.kind in {"vector", "raster"}]
    return sorted(chosen, key=lambda la: (order.get(la.id) or {}).get("zIndex", 0))


def paint_of(layer: MapLayer, past: tuple[str, date] | None = None) -> Paint:
    """The map's style of a layer as the picture draws it (classes by attribute included);
    ``past`` = (date attribute, today) hides past entries as the map does (unset dates stay)."""
    keep = None
    if past is not None:
        attribute, day = past[0], past[1].isoformat()

        def keep(props: dict[str, object]) -> bool:
            value = props.get(attribute)
            return value is None or str(value)[:10] >= day

    by = layer.by_attribute
    classify = None
    if by is not None:
        attribute = by.attribute

        def classify(props: dict[str, object]) -> str | None:
            return class_color(by, props.get(attribute))

    return Paint(
        color=layer.color,
        fill=layer.fill or layer.color,
        fill_opacity=layer.fill_opacity if layer.geometry == "polygon" else 0.0,
        weight=layer.weight or 2.0,
        opacity=layer.opacity,
        classify=classify,
        keep=keep,
    )


def print_page(
    request: PrintRequest,
    layers: list[MapLayer],
    centre: tuple[float, float],
    day: date,
) -> PrintPage:
    """The sheet for ``layers`` (already chosen by :func:`printable`) around ``centre``
    (lat, lon); the zoom defaults as on the map (``maps.build``)."""
    view = request.view
    zoom = view.zoom if view.zoom is not None else DEFAULT_ZOOM
    if view.zoom is None and view.center is not None:
        zoom = FEATURE_ZOOM - 2
    map_mm = map_size(request.paper, request.orientation)
    frame = Frame(
        centre[0], centre[1], zoom, round(map_mm[0] * PX_PER_MM), round(map_mm[1] * PX_PER_MM)
    )
    legend = tuple(
        LegendItem(la.title, la.geometry, la.color, la.fill or la.color, la.fill_opacity, la.legend)
        for la in reversed(layers)  # topmost first, as in the map's layer list
    )
    sources = [f"{la.title}: {la.attribution}" for la in layers if la.attribution]
    iso = day.isoformat()
    when = f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}" if view.lang == "de" else iso
    return PrintPage(
        request=request,
        page_mm=page_size(request.paper, request.orientation),
        map_mm=map_mm,
        frame=frame,
        scale=scale_bar(frame, view.lang),
        legend=legend,
        sources=tuple(sources),
        demo=any(is_demo(la) for la in layers),
        day=when,
        texts=PRINT_TEXTS[view.lang],
    )
