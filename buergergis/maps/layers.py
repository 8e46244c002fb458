"""From catalog records to what a map needs: title, legend, popup fields, URLs, Datenstand.

Plain data only (no SQL, no Flask): the views hand in :class:`LayerRecord` objects from
``store.catalog``; the result feeds the folium elements, the templates and the browser code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from buergergis.catalog.models import ExternalLayer, RasterLayer, StyleByAttribute, VectorLayer
from buergergis.maps.i18n import Lang, category_label
from buergergis.maps.styling import LegendEntry, browser_classes, geometry_class, legend
from buergergis.store.catalog import LayerRecord

#: Point layers with more features than this are clustered even without ``style.cluster``.
CLUSTER_THRESHOLD = 200
#: Larger vector layers are drawn as vector tiles even without ``style.tiles``.
GEOJSON_LIMIT = 2000
#: Without popup fields, at most this many attributes are shown.
DEFAULT_POPUP_FIELDS = 6


#: Well-known licence names → their text (links only; nothing is fetched).
LICENSE_URLS = {
    "dl-de/by-2-0": "https://www.govdata.de/dl-de/by-2-0",
    "dl-de/zero-2-0": "https://www.govdata.de/dl-de/zero-2-0",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odbl-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}


def license_url(license_name: str) -> str | None:
    """A link to the licence text, if the licence is a URL or a well-known name."""
    if license_name.startswith(("https://", "http://")):
        return license_name
    return LICENSE_URLS.get(license_name.strip().lower())


@dataclass(frozen=True)
class Field:
    """An attribute shown in popups and list pages."""

    name: str
    label: str
    type: str
    unit: str | None = None  # shown after numbers: "57.550 €"


@dataclass(frozen=True)
class MapLayer:
    """Everything the map pages need to know about one public layer."""

    id: str
    title: str
    description: str
    category: str
    kind: str  # vector | raster
    render: str  # geojson | cluster | vectortiles | raster
    geometry: str | None  # point | line | polygon | None (raster)
    color: str
    fill: str
    fill_opacity: float
    weight: float
    icon: str | None
    label_field: str | None
    fields: tuple[Field, ...]
    attribution: str
    license: str
    data_date: str | None
    feature_count: int
    bbox: tuple[float, float, float, float] | None
    minzoom: int
    maxzoom: int
    version: int
    opacity: float = 1.0
    legend: tuple[LegendEntry, ...] = ()  # classes of ``style.by_attribute``
    classes: dict[str, Any] | None = None  # the same classes for static/js/layers.js
    by_attribute: StyleByAttribute | None = None
    easy: tuple[str, ...] = ()  # Leichte Sprache: one sentence per line (issue 16)
    tile_url: str | None = None  # external layers: tiles through /extern (issue 16)
    legend_url: str | None = None  # external WMS with GetLegendGraphic, proxied

    @property
    def listable(self) -> bool:
        """Whether the layer has a list page (vector layers)."""
        return self.kind == "vector"

    @property
    def license_url(self) -> str | None:
        """Link to the licence text (``None`` for unknown licence names)."""
        return license_url(self.license)

    @property
    def is_point(self) -> bool:
        """Point or MultiPoint geometries."""
        return self.geometry == "point"

    def config(self, default_visible: bool) -> dict[str, Any]:
        """JSON-able description for ``static/js/layers.js``."""
        return {
            "id": self.id,
            "title": self.title,
            "render": self.render,
            "geometry": self.geometry,
            "style": {
                "color": self.color,
                "fill": self.fill,
                "fillOpacity": self.fill_opacity,
                "weight": self.weight,
                "opacity": self.opacity,
            },
            "icon": self.icon if self.is_point else None,
            "labelField": self.label_field,
            "fields": [
                {"name": f.name, "label": f.label, "type": f.type, "unit": f.unit}
                for f in self.fields
            ],
            "attribution": self.attribution,
            "license": self.license,
            "dataDate": self.data_date,
            "count": self.feature_count,
            "limit": min(self.feature_count, GEOJSON_LIMIT),
            "bbox": list(self.bbox) if self.bbox else None,
            "minzoom": self.minzoom,
            "maxzoom": self.maxzoom,
            "version": self.version,
            "visible": default_visible,
            "classes": self.classes,
        }


def _fields(definition: VectorLayer, lang: Lang) -> tuple[Field, ...]:
    attributes = {a.name: a for a in definition.attributes or ()}
    names = list(definition.popup)
    if not names:
        names = [a.name for a in definition.attributes or ()][:DEFAULT_POPUP_FIELDS]
    result = []
    for name in names:
        attr = attributes.get(name)
        if attr is None:
            continue
        label = (attr.title_en if lang == "en" else None) or attr.label
        result.append(Field(name=name, label=label, type=attr.type, unit=attr.unit_in(lang)))
    return tuple(result)


def _render(record: LayerRecord, geometry: str | None) -> str:
    definition = record.definition
    if isinstance(definition, RasterLayer):
        return "raster"
    if definition.style.tiles or (record.feature_count or 0) > GEOJSON_LIMIT:
        return "vectortiles"
    if geometry == "point" and (
        definition.style.cluster or (record.feature_count or 0) > CLUSTER_THRESHOLD
    ):
        return "cluster"
    return "geojson"


def data_date(record: LayerRecord) -> str | None:
    """The Datenstand as an ISO date: declared in the definition, else the load date."""
    if record.definition.data_date:
        return record.definition.data_date[:10]
    return record.loaded_at.date().isoformat() if record.loaded_at else None


def map_layer(record: LayerRecord, lang: Lang = "de") -> MapLayer:
    """Describe one catalog record for the map pages."""
    d = record.definition
    geometry = geometry_class(record.geometry_type) if record.kind == "vector" else None
    title = (d.title_en if lang == "en" else None) or d.title
    description = (d.description_en if lang == "en" else None) or d.description
    if isinstance(d, VectorLayer):
        style, fields, label = d.style, _fields(d, lang), d.style.label
        label = label or (d.search[0] if d.search else None) or (fields[0].name if fields else None)
        color, fill, weight, fill_opacity = (
            style.color,
            style.fill,
            style.weight,
            style.fill_opacity,
        )
        icon, opacity = style.icon, 1.0
        entries, classes, by = legend(style, lang), browser_classes(style, lang), style.by_attribute
    else:
        fields, label, icon, entries, classes, by = (), None, None, (), None, None
        color, fill, weight, fill_opacity, opacity = "#555555", None, 0.0, 0.0, d.raster.opacity
    return MapLayer(
        id=d.id,
        title=title,
        description=description,
        category=category_label(d.category, lang),
        kind=record.kind,
        render=_render(record, geometry),
        geometry=geometry,
        color=color,
        fill=fill or color,
        fill_opacity=fill_opacity,
        weight=weight,
        icon=icon,
        label_field=label,
        fields=fields,
        attribution=d.attribution,
        license=d.license,
        data_date=data_date(record),
        feature_count=record.feature_count or 0,
        bbox=record.bbox,
        minzoom=d.minzoom,
        maxzoom=d.maxzoom,
        version=record.version,
        opacity=opacity,
        legend=entries,
        classes=classes,
        by_attribute=by,
        easy=easy_lines(d.description_easy_en if lang == "en" else d.description_easy),
    )


def external_map_layer(layer: ExternalLayer, lang: Lang = "de") -> MapLayer:
    """Describe an external layer (another authority's service) for the map pages: a raster
    layer whose tiles and legend come through BürgerGIS (``/extern/<id>/…``)."""
    return MapLayer(
        id=layer.id,
        title=(layer.title_en if lang == "en" else None) or layer.title,
        description=(layer.description_en if lang == "en" else None) or layer.description,
        category=category_label(layer.category, lang),
        kind="external",
        render="raster",
        geometry=None,
        color="#555555",
        fill="#555555",
        fill_opacity=0.0,
        weight=0.0,
        icon=None,
        label_field=None,
        fields=(),
        attribution=layer.attribution,
        license=layer.license,
        data_date=layer.data_date[:10] if layer.data_date else None,
        feature_count=0,
        bbox=None,
        minzoom=layer.minzoom,
        maxzoom=layer.maxzoom,
        version=0,
        opacity=layer.opacity,
        easy=easy_lines(layer.description_easy_en if lang == "en" else layer.description_easy),
        tile_url=f"/extern/{layer.id}/{{z}}/{{x}}/{{y}}.png",
        legend_url=f"/extern/{layer.id}/legende.png" if layer.extern.legend else None,
    )


def with_external(
    layers: list[MapLayer], external: tuple[ExternalLayer, ...], lang: Lang = "de"
) -> list[MapLayer]:
    """The catalog's layers followed by the external ones; an external layer whose id a
    catalog layer already has is left out (the city's own layer wins)."""
    known = {layer.id for layer in layers}
    return layers + [external_map_layer(la, lang) for la in external if la.id not in known]


def easy_lines(text: str | None) -> tuple[str, ...]:
    """A plain-language text as its lines (Leichte Sprache: one sentence per line)."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def default_visible(layer: MapLayer) -> bool:
    """Shown when the URL names no layers: everything except tiled and raster layers."""
    return layer.render in {"geojson", "cluster"}


#: Service roles that are not offered under "In der Nähe" (areas and address points).
NOT_NEARBY = frozenset({"ortsteile", "adressen"})


@dataclass(frozen=True)
class NearestChoice:
    """An entry of "In der Nähe": a service layer, optionally only features with one value
    (``only``: attribute and value, e.g. the nearest free Holzlos)."""

    id: str
    title: str
    only: tuple[str, str] | None = None


def has_human_title(layer: MapLayer) -> bool:
    """A title a citizen can read: not empty and not just the layer id."""
    title = layer.title.strip()
    return bool(title) and title.casefold() != layer.id.casefold()


def nearest_choices(
    layers: list[MapLayer],
    roles: Mapping[str, str],
    free_lot: tuple[str, str, str] | None = None,
) -> list[NearestChoice]:
    """Service point layers with a human title for "In der Nähe", alphabetically, then "nächstes
    freies Los" for the Holzverkauf layer (``free_lot``: status attribute, free value, title).
    Layers without a service role (a staff import, a test file) are never offered."""
    choices = sorted(
        (
            NearestChoice(la.id, la.title)
            for la in layers
            if la.is_point and roles.get(la.id) not in (None, *NOT_NEARBY) and has_human_title(la)
        ),
        key=lambda c: c.title.casefold(),
    )
    lots = [la for la in layers if roles.get(la.id) == "holzverkauf" and la.listable]
    if free_lot and lots:
        attribute, value, title = free_lot
        choices.append(NearestChoice(lots[0].id, title, (attribute, value)))
    return choices


def group_by_category(layers: list[MapLayer]) -> list[tuple[str, list[MapLayer]]]:
    """Layers grouped by category, in the order of first appearance."""
    groups: dict[str, list[MapLayer]] = {}
    for layer in layers:
        groups.setdefault(layer.category, []).append(layer)
    return list(groups.items())


def union_bbox(layers: list[MapLayer]) -> tuple[float, float, float, float] | None:
    """The WGS84 bbox around all given layers (``None`` if none has one)."""
    boxes = [layer.bbox for layer in layers if layer.bbox]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


#: z-index of the map panes: areas below lines below points (markers: Leaflet's 600).
PANE_BASE = {"raster": 250, "polygon": 400, "line": 450, "point": 500}


def draw_order(layers: list[MapLayer]) -> dict[str, dict[str, Any]]:
    """A fixed pane for each layer: areas below lines below points; among one kind the larger
    extent below the smaller (Ortsteile below Holzlose), and for about the same extent the
    layer with more features above (Stadtgebiet below Ortsteile), ties by id. Clicks then
    always open the topmost thing, whatever order the layers happen to load in."""

    def size(layer: MapLayer) -> int:
        b = layer.bbox
        area = (b[2] - b[0]) * (b[3] - b[1]) if b else 0.0
        return round(math.log2(area)) if area > 0 else -1000  # extents within ~40 % tie

    def key(layer: MapLayer) -> tuple[int, int, str]:
        return (-size(layer), layer.feature_count, layer.id)

    result: dict[str, dict[str, Any]] = {}
    for kind, base in PANE_BASE.items():
        group = [
            la for la in layers if (la.geometry or "raster") == kind and la.render != "cluster"
        ]
        group.sort(key=key)
        for rank, layer in enumerate(group):
            result[layer.id] = {"pane": f"bgis-{kind}-{rank}", "zIndex": base + min(rank, 49)}
    return result
