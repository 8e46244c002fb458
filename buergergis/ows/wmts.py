"""WMTS 1.0.0 of the public layers on the map's tile grid (WebMercatorQuad, 256 px PNG).

Capabilities are written here; tiles come from the map's own tile service: a raster layer's
WMTS tile *is* its map tile (same renderer, same cache file), a vector layer's tile is drawn
by MapServer with the layer's style and kept in the same versioned tile cache.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree
from PIL import Image

from buergergis.errors import InvalidParameter, NotFound
from buergergis.ows.metadata import (
    CONTACT,
    SERVICE_ABSTRACT,
    SERVICE_KEYWORDS,
    SERVICE_TITLE,
    licence_text,
)
from buergergis.store.catalog import LayerRecord
from buergergis.tiles.cache import CachedTile, layer_key
from buergergis.tiles.grid import ORIGIN_SHIFT, TileAddress
from buergergis.tiles.provider import TileProvider, TileSpec, versions_of

WMTS = "http://www.opengis.net/wmts/1.0"
OWS = "http://www.opengis.net/ows/1.1"
XLINK = "http://www.w3.org/1999/xlink"
NSMAP = {None: WMTS, "ows": OWS, "xlink": XLINK}
MATRIX_SET = "WebMercatorQuad"
STYLE = "default"
FORMAT = "image/png"
MAX_ZOOM = 20
#: Scale denominator of zoom 0 of GoogleMapsCompatible (0.28 mm pixels).
SCALE_0 = 559082264.0287178
#: MapEngine.render: (layers, crs, bbox, size) → PNG bytes.
DrawFn = Callable[[Sequence[str], str, Sequence[float], int], bytes]
#: Pixels drawn around a vector tile so symbols on the edge are not cut.
BUFFER_PX = 32


def _el(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        node.text = text
    return node


def _service(root: etree._Element, records: Sequence[LayerRecord]) -> None:
    ident = _el(root, OWS, "ServiceIdentification")
    _el(ident, OWS, "Title", SERVICE_TITLE)
    _el(ident, OWS, "Abstract", SERVICE_ABSTRACT)
    keywords = _el(ident, OWS, "Keywords")
    for word in SERVICE_KEYWORDS:
        _el(keywords, OWS, "Keyword", word)
    _el(ident, OWS, "ServiceType", "OGC WMTS")
    _el(ident, OWS, "ServiceTypeVersion", "1.0.0")
    _el(ident, OWS, "Fees", "keine")
    for text in sorted(
        {licence_text(r.definition.license, r.definition.attribution) for r in records}
    ):
        _el(ident, OWS, "AccessConstraints", text)
    provider = _el(root, OWS, "ServiceProvider")
    _el(provider, OWS, "ProviderName", CONTACT.organisation)
    contact = _el(provider, OWS, "ServiceContact")
    _el(contact, OWS, "IndividualName", CONTACT.unit)
    _el(contact, OWS, "PositionName", CONTACT.position)
    info = _el(contact, OWS, "ContactInfo")
    _el(_el(info, OWS, "Phone"), OWS, "Voice", CONTACT.phone)
    address = _el(info, OWS, "Address")
    for name, value in (
        ("DeliveryPoint", CONTACT.street),
        ("City", CONTACT.city),
        ("AdministrativeArea", CONTACT.region),
        ("PostalCode", CONTACT.postcode),
        ("Country", CONTACT.country),
        ("ElectronicMailAddress", CONTACT.email),
    ):
        _el(address, OWS, name, value)


def _operations(root: etree._Element, url: str) -> None:
    meta = _el(root, OWS, "OperationsMetadata")
    for name in ("GetCapabilities", "GetTile"):
        op = _el(meta, OWS, "Operation")
        op.set("name", name)
        get = _el(_el(_el(op, OWS, "DCP"), OWS, "HTTP"), OWS, "Get")
        get.set(f"{{{XLINK}}}href", f"{url}?")
        constraint = _el(get, OWS, "Constraint")
        constraint.set("name", "GetEncoding")
        _el(_el(constraint, OWS, "AllowedValues"), OWS, "Value", "KVP")


def _layer(contents: etree._Element, record: LayerRecord, url: str, wms_url: str) -> None:
    d = record.definition
    layer = _el(contents, WMTS, "Layer")
    _el(layer, OWS, "Title", d.title)
    _el(layer, OWS, "Abstract", d.description or d.title)
    keywords = _el(layer, OWS, "Keywords")
    for word in d.keywords or (d.category,):
        _el(keywords, OWS, "Keyword", word)
    box = _el(layer, OWS, "WGS84BoundingBox")
    west, south, east, north = record.bbox or (9.27, 52.04, 9.48, 52.17)
    _el(box, OWS, "LowerCorner", f"{west:.6f} {south:.6f}")
    _el(box, OWS, "UpperCorner", f"{east:.6f} {north:.6f}")
    _el(layer, OWS, "Identifier", record.id)
    style = _el(layer, WMTS, "Style")
    style.set("isDefault", "true")
    _el(style, OWS, "Title", "Standard")
    _el(style, OWS, "Identifier", STYLE)
    legend = _el(style, WMTS, "LegendURL")
    legend.set("format", FORMAT)
    legend.set(
        f"{{{XLINK}}}href",
        f"{wms_url}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&FORMAT=image/png"
        f"&SLD_VERSION=1.1.0&LAYER={record.id}",
    )
    _el(layer, WMTS, "Format", FORMAT)
    _el(_el(layer, WMTS, "TileMatrixSetLink"), WMTS, "TileMatrixSet", MATRIX_SET)
    resource = _el(layer, WMTS, "ResourceURL")
    resource.set("format", FORMAT)
    resource.set("resourceType", "tile")
    resource.set("template", f"{url}/1.0.0/{record.id}/{{Style}}/{{TileMatrixSet}}/"
                 "{TileMatrix}/{TileRow}/{TileCol}.png")  # fmt: skip


def _matrix_set(contents: etree._Element) -> None:
    tms = _el(contents, WMTS, "TileMatrixSet")
    _el(tms, OWS, "Identifier", MATRIX_SET)
    _el(tms, OWS, "SupportedCRS", "urn:ogc:def:crs:EPSG::3857")
    _el(tms, WMTS, "WellKnownScaleSet", "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible")
    for z in range(MAX_ZOOM + 1):
        matrix = _el(tms, WMTS, "TileMatrix")
        _el(matrix, OWS, "Identifier", str(z))
        _el(matrix, WMTS, "ScaleDenominator", repr(SCALE_0 / (1 << z)))
        _el(matrix, WMTS, "TopLeftCorner", f"{-ORIGIN_SHIFT!r} {ORIGIN_SHIFT!r}")
        _el(matrix, WMTS, "TileWidth", "256")
        _el(matrix, WMTS, "TileHeight", "256")
        _el(matrix, WMTS, "MatrixWidth", str(1 << z))
        _el(matrix, WMTS, "MatrixHeight", str(1 << z))


def capabilities(records: Sequence[LayerRecord], url: str, wms_url: str) -> bytes:
    """The WMTS 1.0.0 capabilities document of the public, loaded layers."""
    shown = [r for r in records if r.public and r.loaded]
    root = etree.Element(f"{{{WMTS}}}Capabilities", nsmap=NSMAP, version="1.0.0")
    _service(root, shown)
    _operations(root, url)
    contents = _el(root, WMTS, "Contents")
    for record in shown:
        _layer(contents, record, url, wms_url)
    _matrix_set(contents)
    metadata_url = _el(root, WMTS, "ServiceMetadataURL")
    metadata_url.set(f"{{{XLINK}}}href", f"{url}/1.0.0/WMTSCapabilities.xml")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True)
class TileRequest:
    """One WMTS tile: layer, style, matrix set and address."""

    layer: str
    style: str
    matrix_set: str
    tile: TileAddress

    @classmethod
    def parse(
        cls, layer: str, style: str, matrix_set: str, z: str, row: str, col: str
    ) -> TileRequest:
        """Checked values (400 for an unknown style or matrix set or a malformed number)."""
        if matrix_set != MATRIX_SET:
            raise InvalidParameter(
                f"TileMatrixSet '{matrix_set[:40]}' gibt es nicht ({MATRIX_SET})."
            )
        if style not in (STYLE, ""):
            raise InvalidParameter(f"Style '{style[:40]}' gibt es nicht ({STYLE}).")
        numbers = []
        for name, text in (("TileMatrix", z), ("TileRow", row), ("TileCol", col)):
            if not text.isdigit() or len(text) > 8:
                raise InvalidParameter(f"{name} muss eine ganze Zahl ≥ 0 sein.")
            numbers.append(int(text))
        if numbers[0] > MAX_ZOOM:
            raise NotFound(f"TileMatrix {numbers[0]} gibt es nicht (0–{MAX_ZOOM}).")
        return cls(layer, style, matrix_set, TileAddress(numbers[0], numbers[2], numbers[1]))


def tile_png(service: TileProvider, record: LayerRecord, tile: TileAddress, draw: DrawFn) -> bytes:
    """The PNG of one WMTS tile: the map's raster tile, or a vector layer drawn by MapServer
    (with a border so symbols on tile edges are whole) and cached under the layer version."""
    if record.kind == "raster":
        return service.get([record], TileSpec((record.id,), tile, "png")).data
    path = service.cache.path(layer_key(versions_of([record])), tile.z, tile.x, tile.y, ".wmts.png")
    hit = service.cache.get(path, False)
    if hit is not None:
        return hit.data
    west, south, east, north = tile.bounds_3857()
    pad = (east - west) * BUFFER_PX / 256
    size = 256 + 2 * BUFFER_PX
    image = draw([record.id], "EPSG:3857", (west - pad, south - pad, east + pad, north + pad), size)
    with Image.open(io.BytesIO(image)) as big:
        cropped = big.crop((BUFFER_PX, BUFFER_PX, BUFFER_PX + 256, BUFFER_PX + 256))
        out = io.BytesIO()
        cropped.save(out, "PNG", optimize=False, compress_level=3)
    data = out.getvalue()
    service.cache.put(path, CachedTile(data, False))
    return data
