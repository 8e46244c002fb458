"""``/ogc/collections/{id}/items`` and ``…/items/{featureId}`` (Parts 1–3)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Response

from buergergis.errors import NotFound
from buergergis.store.catalog import LayerRecord
from buergergis.store.crs import CRS84
from buergergis.store.features import ItemsPage, ItemsQuery
from buergergis.store.paging import Cursor, encode
from buergergis.web import state
from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, current_layer, feature_db, json_response
from buergergis.web.ogc.html import TEXTS, render, title_of
from buergergis.web.ogc.links import Link, current, format_links, link, url
from buergergis.web.ogc.negotiation import language, negotiate
from buergergis.web.ogc.params import ITEM, check_known, parse_crs, parse_items, parse_properties

OFFERED = ("geojson", "html")


def page_links(query: ItemsQuery, page: ItemsPage, fmt: str, lang: str) -> list[Link]:
    """self/alternate, next (keyset: after this page's last feature), prev (offset), and the
    collection. With ``near`` the next link counts ``offset`` on."""
    t = TEXTS[lang]
    links = format_links(fmt, OFFERED, lang)
    media = fmt
    position = query.position
    if position + page.number_returned < page.number_matched:
        links.append(link(next_url(query, page), "next", media, t["next"]))
    if position > 0:
        prev = max(0, min(position - query.limit, page.number_matched - query.limit))
        links.append(link(current(offset=prev or None, cursor=None), "prev", media, t["prev"]))
    return links


def next_url(query: ItemsQuery, page: ItemsPage) -> str:
    """The URL of the page after this one."""
    if query.near is not None or not page.last_keys:
        return current(offset=query.offset + query.limit)
    after = query.position + page.number_returned
    token = encode(Cursor(query.order, tuple(page.last_keys), after))
    return current(offset=None, cursor=token)


def collection_link(layer: LayerRecord, lang: str) -> Link:
    """``collection`` link back to the metadata."""
    return link(
        url(f"/collections/{layer.id}"), "collection", "json", title_of(layer.definition, lang)
    )


def feature_collection(page: ItemsPage, links: list[Link]) -> bytes:
    """The GeoJSON FeatureCollection around the features PostGIS wrote."""
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    return (
        json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + page.features + "]}"
    ).encode()


def _geojson(body: bytes, crs_uri: str) -> Response:
    response = json_response(body, "geojson")
    response.headers["Content-Crs"] = f"<{crs_uri}>"
    return response


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """Features of a collection: bbox, datetime, filter, sortby, properties, crs, paging."""
    fmt, lang = negotiate(OFFERED), language()
    settings = state().settings
    layer = current_layer(collection_id)

    def build() -> Response:
        query = parse_items(layer, settings.items_default_limit, settings.items_max_limit)
        if fmt == "html":
            query = replace(query, crs=CRS84)
        page = feature_db().items(layer, query)
        links = [*page_links(query, page, fmt, lang), collection_link(layer, lang)]
        if fmt == "html":
            return items_html(layer, query, page, links, lang)
        return _geojson(feature_collection(page, links), query.crs.uri)

    # The validator is checked before parsing: a URL that failed never had one.
    return cached([layer], build, last_modified=layer.loaded_at)


def items_html(
    layer: LayerRecord, query: ItemsQuery, page: ItemsPage, links: list[Link], lang: str
) -> Response:
    """The items page: map, attribute table, paging and a filter form."""
    features: list[dict[str, Any]] = json.loads("[" + page.features + "]")
    return render(
        "items.html",
        lang,
        layer=layer,
        title=title_of(layer.definition, lang),
        features=features,
        page=page,
        query=query,
        links={lnk["rel"]: lnk["href"] for lnk in links},
        attributes=[
            a for a in layer.attributes if query.properties is None or a.name in query.properties
        ],
        limits=(10, 50, 100, 500),
    )


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    """One feature by its id."""
    check_known(ITEM)
    fmt, lang = negotiate(OFFERED), language()
    layer = current_layer(collection_id)
    crs = CRS84 if fmt == "html" else parse_crs("crs")
    names = parse_properties(layer)

    def build() -> Response:
        text = feature_db().item(layer, feature_id, crs, names)
        if text is None:
            raise NotFound(f"Im Datensatz '{collection_id}' gibt es kein Objekt '{feature_id}'.")
        if fmt == "html":
            feature = json.loads(text)
            title = title_of(layer.definition, lang)
            return render("item.html", lang, layer=layer, feature=feature, title=title)
        links = [*format_links(fmt, OFFERED, lang), collection_link(layer, lang)]
        body = text[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
        return _geojson(body.encode(), crs.uri)

    return cached([layer], build, last_modified=layer.loaded_at)
