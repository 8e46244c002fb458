"""``/ogc/collections`` and ``/ogc/collections/{id}``: metadata of every public vector layer."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import Connection

from buergergis.store.catalog import LayerRecord
from buergergis.store.crs import CRS84_URI, SUPPORTED, storage_crs
from buergergis.store.exports import FORMATS
from buergergis.store.features import temporal_extent
from buergergis.web import state
from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, json_response, public_vector_layers, vector_layer
from buergergis.web.ogc.conformance import collection_links
from buergergis.web.ogc.html import TEXTS, description_of, render, title_of
from buergergis.web.ogc.links import Link, base_url, format_links, licence_url, link, url
from buergergis.web.ogc.negotiation import language, negotiate
from buergergis.web.ogc.params import COMMON, check_known

OFFERED = ("json", "html")
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_SORTABLES = "http://www.opengis.net/def/rel/ogc/1.0/sortables"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
_EXTENTS: dict[tuple[str, int], list[str | None] | None] = {}


def _lang(lang: str) -> str | None:
    return "en" if lang == "en" else None


def layer_links(layer: LayerRecord, lang: str) -> list[Link]:
    """Items, queryables, sortables, licence and downloads of one collection."""
    t, hl = TEXTS[lang], _lang(lang)
    path = f"/collections/{layer.id}"
    links = [
        link(url(f"{path}/items", f="geojson"), "items", "geojson", t["objects"]),
        link(url(f"{path}/items", f="html", lang=hl), "items", "html", t["objects"]),
        link(url(f"{path}/queryables"), REL_QUERYABLES, "schema", t["queryables"]),
        link(url(f"{path}/sortables"), REL_SORTABLES, "schema", t["sortables"]),
    ]
    licence = licence_url(layer.definition.license)
    if licence:
        links.append(link(licence, "license", "html", layer.definition.license))
    for fmt in FORMATS.values():
        title = f"{t['download']}: {fmt.title}"
        links.append(
            link(url(f"{path}/download/{fmt.segment}"), "enclosure", fmt.media_type, title)
        )
    return links + collection_links(layer, base_url())


def collection_document(
    layer: LayerRecord, lang: str, temporal: list[str | None] | None = None
) -> dict[str, Any]:
    """The collection metadata (Parts 1 and 2), without ``self`` links."""
    d = layer.definition
    extent: dict[str, Any] = {}
    if layer.bbox:
        extent["spatial"] = {"bbox": [list(layer.bbox)], "crs": CRS84_URI}
    if temporal is not None:
        extent["temporal"] = {"interval": [temporal], "trs": TRS}
    return {
        "id": layer.id,
        "title": title_of(d, lang),
        "description": description_of(d, lang),
        "keywords": list(d.keywords),
        "license": d.license,
        "attribution": d.attribution,
        "extent": extent,
        "itemType": "feature",
        "crs": [c.uri for c in SUPPORTED],
        "storageCrs": storage_crs().uri,
        "featureCount": layer.feature_count,
        "geometryType": layer.geometry_type,
        "links": layer_links(layer, lang),
    }


def cached_temporal(conn: Connection, layer: LayerRecord) -> list[str | None] | None:
    """Temporal extent, computed once per layer version."""
    key = (layer.id, layer.version)
    if key not in _EXTENTS:
        if len(_EXTENTS) > 512:
            _EXTENTS.clear()
        _EXTENTS[key] = temporal_extent(conn, layer)
    return _EXTENTS[key]


@bp.get("/collections")
def collections() -> Response:
    """All public vector collections."""
    check_known(COMMON)
    fmt, lang = negotiate(OFFERED), language()
    with state().engine.connect() as conn:
        layers = public_vector_layers(conn)
        docs = [collection_document(layer, lang, cached_temporal(conn, layer)) for layer in layers]
    for doc in docs:
        path = f"/collections/{doc['id']}"
        doc["links"][:0] = [
            link(url(path), "self", "json", doc["title"]),
            link(url(path, f="html", lang=_lang(lang)), "alternate", "html", doc["title"]),
        ]
    if fmt == "html":
        return cached(layers, lambda: render("collections.html", lang, collections=docs))
    body = {
        "links": format_links(fmt, OFFERED, lang),
        "crs": [c.uri for c in SUPPORTED],
        "collections": docs,
    }
    return cached(layers, lambda: json_response(body))


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    """One collection's metadata."""
    check_known(COMMON)
    fmt, lang = negotiate(OFFERED), language()
    with state().engine.connect() as conn:
        layer = vector_layer(conn, collection_id)
        doc = collection_document(layer, lang, cached_temporal(conn, layer))
    doc["links"][:0] = format_links(fmt, OFFERED, lang)
    if fmt == "html":
        return cached([layer], lambda: render("collection.html", lang, c=doc, layer=layer))
    return cached([layer], lambda: json_response(doc))
