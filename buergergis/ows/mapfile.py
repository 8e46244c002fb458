"""A MapServer mapfile written from the public layers of the catalog (plain text, no SQL).

Every public, loaded layer becomes one LAYER: vector layers read their live view
(``layers."<id>"``) from PostGIS in EPSG:25832 and get their classes from the layer's
published SLD (:mod:`buergergis.maps.sld`, applied by the engine), raster layers read their
Cloud-Optimized GeoTIFF with a colour ramp from the same rio-tiler colormap as the map tiles.
Private layers are never written into the mapfile, so no request can reach them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pyproj import Transformer

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.ows.metadata import (
    CONTACT,
    SERVICE_ABSTRACT,
    SERVICE_KEYWORDS,
    SERVICE_TITLE,
    WMS_CRS,
    licence_text,
)
from buergergis.store.catalog import LayerRecord
from buergergis.store.sql import layer_view

#: Fallback extent (EPSG:25832) when no layer has a bounding box: Hameln.
HAMELN_25832 = (517000.0, 5766000.0, 535000.0, 5784000.0)
_TO_25832 = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)


def quote(text: str) -> str:
    """A mapfile string literal; quotes, backslashes and line breaks cannot break out."""
    clean = " ".join(text.replace("\\", "/").replace('"', "'").split())
    return f'"{clean}"'


def extent_25832(bbox: Sequence[float] | None) -> tuple[float, float, float, float]:
    """A WGS84 bounding box (west, south, east, north) in EPSG:25832."""
    if not bbox:
        return HAMELN_25832
    west, south, east, north = _TO_25832.transform_bounds(bbox[0], bbox[1], bbox[2], bbox[3])
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values):
        return HAMELN_25832
    # One point (or a line along an axis) has no area: MapServer refuses such an extent, and
    # "%.1f" could make two close values equal — give it a metre around it.
    if east - west < 1.0:
        west, east = west - 1.0, east + 1.0
    if north - south < 1.0:
        south, north = south - 1.0, north + 1.0
    return (west, south, east, north)


def union(extents: Iterable[tuple[float, float, float, float]]) -> tuple[float, ...]:
    """The extent covering all extents (Hameln when there are none)."""
    items = list(extents) or [HAMELN_25832]
    return (
        min(e[0] for e in items),
        min(e[1] for e in items),
        max(e[2] for e in items),
        max(e[3] for e in items),
    )


@dataclass(frozen=True)
class MapfileOptions:
    """What the mapfile depends on besides the layers."""

    connection: str  #: libpq connection string of the database
    online_resource: str  #: base URL of the WMS (``…/wms``)
    font_dir: str | None = None


def _metadata(pairs: Iterable[tuple[str, str]], indent: str) -> str:
    lines = [f"{indent}METADATA"]
    lines += [f"{indent}  {quote(k)} {quote(v)}" for k, v in pairs]
    lines.append(f"{indent}END")
    return "\n".join(lines)


def _layer_metadata(record: LayerRecord) -> list[tuple[str, str]]:
    d = record.definition
    keywords = ",".join(d.keywords) if d.keywords else d.category
    return [
        ("wms_title", d.title),
        ("wms_abstract", d.description or d.title),
        ("wms_keywordlist", keywords),
        ("wms_srs", " ".join(WMS_CRS)),
        ("wms_attribution_title", d.attribution),
        ("wms_include_items", "all"),
        ("gml_include_items", "all"),
        ("gml_exclude_items", "gid,mvt-clearance"),  # store.sql.CLEARANCE_COLUMN
        ("wms_enable_request", "*"),
    ]


def vector_layer(record: LayerRecord, connection: str) -> str:
    """The LAYER block of a vector layer (classes come from its SLD)."""
    assert isinstance(record.definition, VectorLayer)
    kind = {"point": "POINT", "line": "LINE"}.get(_geometry(record), "POLYGON")
    data = f"geom from {layer_view(record.id)} using unique gid using srid=25832"
    extent = " ".join(f"{v:.1f}" for v in extent_25832(record.bbox))
    return "\n".join(
        [
            "  LAYER",
            f"    NAME {quote(record.id)}",
            f"    TYPE {kind}",
            "    STATUS ON",
            "    CONNECTIONTYPE POSTGIS",
            f"    CONNECTION {quote(connection)}",
            f"    DATA '{data}'",
            '    PROCESSING "CLOSE_CONNECTION=DEFER"',
            f"    EXTENT {extent}",
            '    PROJECTION "init=epsg:25832" END',
            '    TEMPLATE "ttt"',
            "    TOLERANCE 6",
            "    TOLERANCEUNITS PIXELS",
            _metadata(_layer_metadata(record), "    "),
            "  END",
        ]
    )


def raster_layer(record: LayerRecord, ramp: Sequence[tuple[float, float, str, str]]) -> str:
    """The LAYER block of a raster layer: its COG with a colour ramp ``(low, high, c1, c2)``."""
    assert isinstance(record.definition, RasterLayer)
    extent = " ".join(f"{v:.1f}" for v in extent_25832(record.bbox))
    opacity = round(record.definition.raster.opacity * 100)
    styles = [
        f"      STYLE COLORRANGE {c1} {c2} DATARANGE {low:g} {high:g} END"
        for low, high, c1, c2 in ramp
    ]
    classes = (
        [f"    CLASS NAME {quote(record.definition.title)}", *styles, "    END"] if ramp else []
    )
    return "\n".join(
        [
            "  LAYER",
            f"    NAME {quote(record.id)}",
            "    TYPE RASTER",
            "    STATUS ON",
            f"    DATA {quote(record.raster_path or '')}",
            f"    EXTENT {extent}",
            '    PROJECTION "init=epsg:25832" END',
            f"    COMPOSITE OPACITY {opacity} END",
            '    PROCESSING "RESAMPLE=BILINEAR"',
            *classes,
            _metadata(_layer_metadata(record), "    "),
            "  END",
        ]
    )


def _geometry(record: LayerRecord) -> str:
    name = (record.geometry_type or "").lower().removeprefix("multi")
    return {"linestring": "line"}.get(name, name)


def _web_metadata(options: MapfileOptions, records: Sequence[LayerRecord]) -> str:
    licences = sorted(
        {licence_text(r.definition.license, r.definition.attribution) for r in records}
    )
    c = CONTACT
    pairs = [
        ("wms_title", SERVICE_TITLE),
        ("wms_abstract", SERVICE_ABSTRACT),
        ("wms_keywordlist", ",".join(SERVICE_KEYWORDS)),
        ("wms_onlineresource", options.online_resource),
        ("wms_srs", " ".join(WMS_CRS)),
        ("wms_enable_request", "GetCapabilities GetMap GetFeatureInfo GetLegendGraphic"),
        ("wms_feature_info_mime_type", "text/html"),
        ("wms_getfeatureinfo_formatlist", "text/html,application/json"),
        ("wms_fees", "keine"),
        ("wms_accessconstraints", " | ".join(licences) or "keine"),
        ("wms_contactorganization", c.organisation),
        ("wms_contactperson", c.unit),
        ("wms_contactposition", c.position),
        ("wms_addresstype", "postal"),
        ("wms_address", c.street),
        ("wms_city", c.city),
        ("wms_stateorprovince", c.region),
        ("wms_postcode", c.postcode),
        ("wms_country", c.country),
        ("wms_contactvoicetelephone", c.phone),
        ("wms_contactelectronicmailaddress", c.email),
        ("wms_rootlayer_title", SERVICE_TITLE),
        ("wms_rootlayer_abstract", SERVICE_ABSTRACT),
        ("wms_encoding", "UTF-8"),
        ("wms_layerlimit", "50"),
    ]
    return _metadata(pairs, "    ")


def mapfile(
    records: Sequence[LayerRecord],
    options: MapfileOptions,
    ramps: Mapping[str, Sequence[tuple[float, float, str, str]]],
) -> str:
    """The whole mapfile of the public, loaded layers in ``records`` (others are skipped)."""
    shown = [r for r in records if r.public and r.loaded]
    extent = " ".join(f"{v:.1f}" for v in union(extent_25832(r.bbox) for r in shown))
    layers = [
        vector_layer(r, options.connection)
        if r.kind == "vector"
        else raster_layer(r, ramps.get(r.id, ()))
        for r in shown
        if r.kind == "vector" or r.raster_path
    ]
    fontset = f"  FONTSET {quote(options.font_dir)}" if options.font_dir else ""
    return "\n".join(
        [
            "MAP",
            '  NAME "buergergis"',
            f"  EXTENT {extent}",
            "  UNITS METERS",
            "  SIZE 256 256",
            "  MAXSIZE 4096",
            "  IMAGECOLOR 255 255 255",
            '  IMAGETYPE "png"',
            fontset,
            '  PROJECTION "init=epsg:25832" END',
            '  OUTPUTFORMAT NAME "png" DRIVER "AGG/PNG" MIMETYPE "image/png" IMAGEMODE RGBA'
            ' TRANSPARENT ON EXTENSION "png" FORMATOPTION "QUANTIZE_FORCE=OFF" END',
            '  OUTPUTFORMAT NAME "jpeg" DRIVER "AGG/JPEG" MIMETYPE "image/jpeg" IMAGEMODE RGB'
            ' EXTENSION "jpg" FORMATOPTION "QUALITY=85" END',
            "  LEGEND KEYSIZE 18 12 LABEL TYPE BITMAP SIZE MEDIUM COLOR 0 0 0 END END",
            "  WEB",
            _web_metadata(options, shown),
            "  END",
            *layers,
            "END",
        ]
    )
