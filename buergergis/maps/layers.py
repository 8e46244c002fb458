"""From catalog records to what a map needs: title, legend, popup fields, URLs, Datenstand.

Plain data only (no SQL, no Flask): the views hand in :class:`LayerRecord` objects from
``store.catalog``; the result feeds the folium elements, the templates and the browser code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.maps.i18n import Lang
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
            "fields": [{"name": f.name, "label": f.label, "type": f.type} for f in self.fields],
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
        }


def _geometry(geometry_type: str | None) -> str | None:
    if not geometry_type:
        return None
    name = geometry_type.lower().removeprefix("multi")
    if name in {"point", "linestring", "polygon"}:
        return {"linestring": "line"}.get(name, name)
    return "polygon"


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
        result.append(Field(name=name, label=label, type=attr.type))
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
    geometry = _geometry(record.geometry_type) if record.kind == "vector" else None
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
    else:
        fields, label, icon = (), None, None
        color, fill, weight, fill_opacity, opacity = "#555555", None, 0.0, 0.0, d.raster.opacity
    return MapLayer(
        id=d.id,
        title=title,
        description=description,
        category=d.category,
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
    )


def default_visible(layer: MapLayer) -> bool:
    """Shown when the URL names no layers: everything except tiled and raster layers."""
    return layer.render in {"geojson", "cluster"}


def nearest_choices(layers: list[MapLayer]) -> list[MapLayer]:
    """Point layers offered for "nächstgelegene …", alphabetically."""
    return sorted((la for la in layers if la.is_point), key=lambda la: la.title.casefold())


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
