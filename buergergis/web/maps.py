"""Citizen map ``/``, embeds ``/embed`` (+ builder, ``/oembed``), list pages and search.

Views parse parameters (``maps.view``/``maps.listing``), read the catalog and rows through
``store``, build the page with ``maps`` and set caching and CSP headers. No cookies are set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, Response, render_template, request
from sqlalchemy import Connection

from buergergis.errors import InvalidParameter, NotFound
from buergergis.maps import csp, embed
from buergergis.maps.assets import localize_folium
from buergergis.maps.build import Basemap, build_city_map, build_embed_map, render, visible_ids
from buergergis.maps.i18n import Lang, texts
from buergergis.maps.layers import (
    MapLayer,
    group_by_category,
    map_layer,
    nearest_choices,
    with_external,
)
from buergergis.maps.listing import (
    ListPage,
    list_page,
    pages_for,
    parse_list_params,
    table_query,
)
from buergergis.maps.queries import (
    nearest_params,
    parse_layer_filter,
    search_params,
    search_results,
)
from buergergis.maps.view import MapView, parse_lang, parse_view, query_string
from buergergis.services import filters, holz
from buergergis.services.on_map import (
    MapServices,
    filter_options,
    fixed_choices,
    list_filters,
    map_services,
)
from buergergis.store import features_simple, search
from buergergis.store.catalog import LayerRecord, list_layers, require_layer
from buergergis.store.services.queries import distinct_values
from buergergis.web import gate, state
from buergergis.web.caching import conditional, make_etag, request_key
from buergergis.web.extern import external_layers
from buergergis.web.services_support import service_layers

bp = Blueprint("maps", __name__)


def init_app(app: Flask) -> None:
    """Point folium (and all its plugins) at the vendored assets for this process."""
    localize_folium()


@bp.app_template_filter("bgis_date")
def _date_filter(iso: str | None, lang: str = "de") -> str:
    """``2026-11-24`` → ``24.11.2026`` (German) or unchanged (English)."""
    if not iso or lang != "de" or len(iso) < 10:
        return iso or ""
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}"


# ---- helpers ---------------------------------------------------------------------------


def _records(conn: Connection) -> list[LayerRecord]:
    return list_layers(conn)


def _etag(records: Iterable[LayerRecord], *parts: object) -> str:
    s = state().settings
    versions = [(r.id, r.version) for r in records]
    config = (s.basemap_url, s.basemap_attribution, s.frame_ancestors, s.public_url)
    home = (s.home_center, s.home_extent)  # the city view is part of every map page
    extern = [la.model_dump_json() for la in external_layers()]  # external layers (issue 16)
    return make_etag(versions, request_key(), request.host_url, config, home, extern, *parts)


def _cached(records: list[LayerRecord], build: Callable[[], Response], *parts: object) -> Response:
    """A 304 when the client's copy is current, else the built response with validators."""
    etag = _etag(records, *parts)
    cache_control = state().settings.cache_control
    return conditional(etag, cache_control, build)


def _page(template: str, policy: str, **context: object) -> Response:
    response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Content-Security-Policy"] = policy
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _basemap() -> Basemap:
    s = state().settings
    return Basemap(s.basemap_url, s.basemap_attribution)


def _select(records: list[LayerRecord], view: MapView) -> tuple[list[MapLayer], list[str]]:
    """Map layers of a view, and requested ids that are unknown (left out with a notice)."""
    layers = with_external([map_layer(r, view.lang) for r in records], external_layers(), view.lang)
    known = {la.id for la in layers}
    missing = [i for i in view.layers or () if i not in known]
    return layers, missing


def _services(records: list[LayerRecord], view: MapView) -> MapServices:
    """Service roles and "nothing past" rules of the layers (today in Europe/Berlin)."""
    return map_services(records, service_layers(), view.show_past, filters.today())


def _map_response(
    template: str, view: MapView, layers: list[MapLayer], services: MapServices, **ctx: object
) -> Response:
    s = state().settings
    t = texts(view.lang)
    builder = build_embed_map if template.endswith("embed.html") else build_city_map
    rendered = render(builder(layers, view, _basemap(), t, services, home=s.home))
    policy = csp.policy(
        script_hashes=(rendered.csp_hash,),
        basemap_url=s.basemap_url if view.basemap != "none" else "",
        frame_ancestors=s.frame_ancestors,
    )
    return _page(
        template, policy, map=rendered, view=view, t=t, layers=layers, services=services, **ctx
    )


# ---- the city map and embeds -------------------------------------------------------------


@bp.get("/")
def city_map() -> Response:
    """The city map with every public layer; the URL is the permalink."""
    view = parse_view(request.args)
    with state().engine.connect() as conn:
        records = _records(conn)
    layers, missing = _select(records, view)
    services = _services(records, view)
    context = {
        "missing": missing,
        "groups": group_by_category(layers),
        "shown": visible_ids(layers, view),
        "points": nearest_choices(
            layers, services.roles, (holz.STATUS, holz.FREE, texts(view.lang)["nearest_free_lot"])
        ),
    }
    return _cached(
        records,
        lambda: _map_response("maps/index.html", view, layers, services, **context),
        services.validator,
    )


@bp.get("/embed")
def embed_map() -> Response:
    """The lean map for iframes: only the chosen layers, no scroll-wheel zoom."""
    view = parse_view(request.args)
    with state().engine.connect() as conn:
        records = _records(conn)
    layers, missing = _select(records, view)
    shown = visible_ids(layers, view)
    chosen = [la for la in layers if la.id in shown]
    big_map = "/?" + query_string(view.query(feature=None))
    services = _services(records, view)
    return _cached(
        records,
        lambda: _map_response(
            "maps/embed.html", view, chosen, services, missing=missing, big_map=big_map
        ),
        services.validator,
    )


@bp.get("/embed/builder")
def embed_builder() -> Response:
    """Staff page: choose layers and view, preview the embed, copy the iframe snippet."""
    args = dict(request.args)
    if "layers" in request.args:  # one checkbox per layer: layers=a&layers=b
        args["layers"] = ",".join(request.args.getlist("layers"))
    view = parse_view(args)
    width = embed.parse_width(request.args.get("width"))
    height = embed.parse_size(request.args.get("height"), "height", embed.DEFAULT_HEIGHT)
    with state().engine.connect() as conn:
        records = _records(conn)
    layers = [map_layer(r, view.lang) for r in records]
    frame = _frame(view, layers, width, height)
    public_url = _public_url()
    return _page(
        "maps/builder.html",
        csp.policy(frame_ancestors="'self'"),
        view=view,
        t=texts(view.lang),
        groups=group_by_category(layers),
        frame=frame,
        public_url=public_url,
        preview_src=frame.src.removeprefix(public_url),
        ancestors=embed.ancestors_list(state().settings.frame_ancestors),
        width=width,
        height=height,
    )


def _frame(view: MapView, layers: list[MapLayer], width: str, height: int) -> embed.Frame:
    titles = [la.title for la in layers if view.layers and la.id in view.layers]
    t = texts(view.lang)
    title = f"{t['site']}: {', '.join(titles)}" if titles else t["site"]
    return embed.Frame(embed.embed_src(_public_url(), view), title, width, height)


def _public_url() -> str:
    """``BUERGERGIS_PUBLIC_URL`` when configured, else this request's scheme and host."""
    s = state().settings
    return embed.base_url(s.public_url if "public_url" in s.model_fields_set else None,
                          request.host_url)  # fmt: skip


@bp.get("/oembed")
def oembed() -> Response:
    """oEmbed (https://oembed.com) for map URLs of this service: JSON (default) or XML."""
    url = request.args.get("url")
    if not url:
        raise InvalidParameter("Parameter 'url' fehlt: die Adresse einer Karte dieses Dienstes.")
    fmt = request.args.get("format", "json")
    if fmt not in {"json", "xml"}:
        raise InvalidParameter("Parameter 'format': erlaubt sind 'json' und 'xml'.")
    max_w = embed.parse_max(request.args.get("maxwidth"), "maxwidth")
    max_h = embed.parse_max(request.args.get("maxheight"), "maxheight")
    s = state().settings
    view = embed.view_from_url(url, s.public_url, request.host)
    with state().engine.connect() as conn:
        layers = [map_layer(r, view.lang) for r in _records(conn)]
    layers = with_external(layers, external_layers(), view.lang)
    frame = _frame(view, layers, str(embed.DEFAULT_WIDTH), embed.DEFAULT_HEIGHT)
    data = embed.oembed(frame, "BürgerGIS Hameln", _public_url(), max_w, max_h)
    if fmt == "xml":
        return Response(embed.oembed_xml(data), mimetype="text/xml")
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")


# ---- accessible list pages -----------------------------------------------------------


@bp.get("/liste/<layer_id>")
def layer_list(layer_id: str) -> Response:
    """All features of a layer as a sortable, filterable table (works without JavaScript).

    Service layers hide past entries unless ``alle=1`` and offer their attribute filters
    (Holzverkauf: ``status``, ``holzart``); today's date is then part of the ETag.
    """
    lang = parse_lang(request.args.get("lang"))
    with state().engine.connect() as conn:
        record = _list_record(conn, layer_id)
        model = _list_model(conn, record, lang)
    t = texts(lang)
    policy = csp.policy(frame_ancestors=state().settings.frame_ancestors)
    return _cached(
        [record],
        lambda: _page("maps/list.html", policy, page=model, t=t, lang=lang),
        model.filters.validator,
    )


def _list_model(conn: Connection, record: LayerRecord, lang: Lang) -> ListPage:
    """Read one page of a list (the page of ``fid`` if given) with the server-side filters."""
    layer = map_layer(record, lang)
    params = parse_list_params(request.args, layer)
    chosen = list_filters(record, service_layers(), request.args, filters.today())
    query = table_query(layer, params, condition=chosen.condition)
    position = (
        features_simple.feature_position(conn, record, query, params.fid) if params.fid else None
    )
    page = (position - 1) // query.per_page + 1 if position else params.page
    data = features_simple.table_rows(
        conn, record, table_query(layer, params, page, chosen.condition)
    )
    if page > pages_for(data.matched):
        raise NotFound(f"Seite {page} gibt es nicht ({pages_for(data.matched)} Seiten).")
    values = {
        name: fixed_choices(chosen, name) or distinct_values(conn, record, name)
        for name in chosen.names
    }
    options = filter_options(record, chosen, values, lang)
    return list_page(layer, params, data, page, lang, texts(lang), chosen, options)


def _list_record(conn: Connection, layer_id: str) -> LayerRecord:
    return require_layer(conn, layer_id, vector=True)


# ---- search ------------------------------------------------------------------------------


@bp.get("/search")
def search_view() -> Response:
    """Ranked search over names and addresses of public layers (JSON, or HTML with f=html)."""
    params = search_params(request.args)
    settings = state().settings
    # The slot first: a search waiting for one has done no work yet and costs no CPU.
    with (
        state().engine.connect() as conn,
        gate.SEARCH.enter(
            conn, settings.search_slots, settings.search_queue, settings.search_wait_s
        ),
    ):
        records = parse_layer_filter(_records(conn), params.layers)

        def build() -> Response:  # only when the client's copy is stale (no search for a 304)
            hits = search.search(conn, records, params.q, params.limit)
            body = search_results(params, hits, records)
            if not params.html:
                return _json(body)
            return _page("maps/search.html", csp.policy(), body=body, t=texts(params.lang),
                         lang=params.lang, address_layer=service_layers().layer_id("adressen"))  # fmt: skip

        return _cached(records, build)


@bp.get("/search/nearest")
def nearest_view() -> Response:
    """The features of a layer nearest to a point (``layer``, ``lon``, ``lat``, ``limit``)."""
    params = nearest_params(request.args)
    with state().engine.connect() as conn:
        record = require_layer(conn, params.layer, vector=True)
        found = search.nearest(conn, record, params.lon, params.lat, params.limit)
    body = {"layer": record.id, "results": [vars(n) for n in found]}
    return _cached([record], lambda: _json(body))


def _json(body: object) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
