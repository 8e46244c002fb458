"""What the service views share: role lookup, page models, rendering, headers, caching.

Kept out of ``web/services.py`` so the views stay short; Flask is used here only for the
app state, templates and responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Response, current_app, render_template, request
from markupsafe import Markup
from sqlalchemy import Connection

from buergergis.catalog.models import StyleByAttribute, VectorLayer
from buergergis.maps import listing
from buergergis.maps.view import parse_lang
from buergergis.services import config, filters, opening_table
from buergergis.services.config import ServiceLayers
from buergergis.services.formatting import fmt, units
from buergergis.services.holz import LOT_FIELDS, STATUS
from buergergis.services.texts import Lang, form_error, texts, titles, tr
from buergergis.store.catalog import LayerRecord, get_layer, list_layers
from buergergis.store.services import queries
from buergergis.store.services.queries import Row, Where
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag, request_key

#: Service layers with a page of their own instead of the generic list ``/dienste/<id>``.
OWN_PAGES = ("buergeramt", "holzverkauf")


def list_pages(records: Iterable[LayerRecord]) -> list[str]:
    """Ids of the loaded service layers with a generic list page (``service.list_page``)."""
    return [
        r.id
        for r in records
        if (service := config.service_of(r)) and service.list_page and r.id not in OWN_PAGES
    ]


MAX_ROWS = 500
MAX_COLUMNS = 8


def service_layers() -> ServiceLayers:
    """The role → layer mapping of this app."""
    layers: ServiceLayers | None = current_app.extensions.get("buergergis_services")
    return layers or ServiceLayers()


def public_records(conn: Connection) -> list[LayerRecord]:
    """All loaded public layers."""
    return list_layers(conn)


def role_record(conn: Connection, role: str) -> LayerRecord:
    """The loaded public layer of a role (404/503 with a German message otherwise)."""
    layer_id = service_layers().layer_id(role)
    return config.require_loaded(get_layer(conn, layer_id), role, layer_id)


def current_lang() -> Lang:
    """The page language from ``lang`` (``de`` by default; 400 for others)."""
    return parse_lang(request.args.get("lang"))


def link(path: str, /, **params: Any) -> str:
    """A link to a citizen page that keeps the page language (``lang=en``)."""
    query = {k: v for k, v in params.items() if v is not None and v != ""}
    if request.args.get("lang") == "en":
        query["lang"] = "en"
    return path + (f"?{urlencode(query)}" if query else "")


def switch_url() -> str:
    """This page in the other language (all other parameters kept)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    if request.args.get("lang") != "en":
        args.append(("lang", "en"))
    return request.path + (f"?{urlencode(args)}" if args else "")


def page_texts() -> dict[str, str]:
    """The service texts of the page language (``de`` for an invalid ``lang``: error pages)."""
    return texts("en" if request.args.get("lang") == "en" else "de")


def week_markup(expression: str, lang: str = "de") -> Markup:
    """The weekly opening-hours table of an expression as HTML (list pages of any layer)."""
    chosen: Lang = "en" if lang == "en" else "de"
    table = opening_table.safe_week_table(expression, None, chosen)
    if table is None:
        return Markup("<span>{}</span>").format(opening_table.unreadable(chosen))
    return Markup(render_template("services/_week.html", table=table))


def labels(record: LayerRecord) -> dict[str, str]:
    """Labels of the attributes in the page language."""
    en = current_lang() == "en"
    return {a.name: (a.title_en if en else None) or a.label for a in record.attributes}


def is_link(value: Any) -> bool:
    """Whether a value is an http(s) link that may be shown as one."""
    return isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value


def csp() -> str:
    """Scripts, styles and data from this server only; map images also from the basemap host."""
    basemap = urlsplit(state().settings.basemap_url)
    tiles = f" {basemap.scheme}://{basemap.netloc}" if basemap.netloc else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data:{tiles}; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )


def html_page(template: str, **context: Any) -> Response:
    """A rendered page with the security headers of citizen pages (no cookies)."""
    settings = state().settings
    lang = current_lang()
    at = context.pop("at", None)
    context.setdefault("basemap_url", settings.basemap_url)
    context.setdefault("basemap_attribution", settings.basemap_attribution)
    context["titles"] = titles(lang)
    context.update(
        lang=lang, t=texts(lang), href=link,
        hours_table=lambda expression: opening_table.safe_week_table(expression, at, lang),
        status_line=lambda status: opening_table.status_text(status, lang),
        form_error=lambda message: form_error(message, lang),
        tr=lambda text, **values: tr(text, lang, **values),
        fmt=lambda value, unit=None: fmt(value, unit, lang),
        units=lambda record: units(record.attributes, lang),
        badge=badge, is_date=lambda value: isinstance(value, date),
    )  # fmt: skip
    body = render_template(template, is_link=is_link, **context)
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = csp()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(body: object) -> Response:
    """JSON with ISO dates (not Flask's HTTP-date format)."""
    text = json.dumps(body, ensure_ascii=False, default=_json_default)
    return Response(text, mimetype="application/json")


def no_store(response: Response) -> Response:
    """Pages that depend on the clock or hold personal data are not cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def cached(
    records: Iterable[LayerRecord], build: Callable[[], Response], *parts: object
) -> Response:
    """304 when the client's copy matches the layer versions and the request, else ``build()``."""
    etag = make_etag([(r.id, r.version) for r in records], request_key(), *parts)
    cache_control = state().settings.cache_control
    return conditional(etag, cache_control, build)


@dataclass(frozen=True)
class ListPage:
    """A filtered list of a service layer (offers or wood lots)."""

    record: LayerRecord
    role: str
    columns: tuple[str, ...]
    rows: list[Row]
    labels: dict[str, str]
    choices: dict[str, list[str]]
    chosen: dict[str, str]
    hide_past: bool = False
    show_all: bool = False

    @property
    def title(self) -> str:
        """Heading: the service's name; in English the layer's English title where known."""
        if current_lang() == "en":
            english = titles("en").get(self.role) or self.record.definition.title_en
            return english or config.title_of(self.record)
        return config.title_of(self.record)


def _columns(record: LayerRecord, wanted: tuple[str, ...] = ()) -> tuple[str, ...]:
    names = [a.name for a in record.attributes if a.type != "json"]
    definition = record.definition
    popup = getattr(definition, "popup", ())
    chosen = [n for n in (wanted or popup) if n in names] or names
    return tuple(chosen[: MAX_COLUMNS if not wanted else len(chosen)])


def _choices(
    conn: Connection, record: LayerRecord, role: str, names: tuple[str, ...]
) -> dict[str, list[str]]:
    known = {a.name for a in record.attributes}
    return {
        n: list(config.choices(record, n) or queries.distinct_values(conn, record, n))
        for n in names
        if n in known
    }


def offer_page(
    conn: Connection, record: LayerRecord, role: str, args: Mapping[str, str]
) -> ListPage:
    """Kitas, Ferienaktionen, …: attribute filters and, where configured, no past entries."""
    filterable = filters.filter_names(record)
    where, chosen = filters.attribute_filters(record, role, args, filterable)
    show_all = filters.wants_all(args)
    current = filters.current_only(record, service_layers())
    if current is not None and not show_all:
        where = where + current
    columns = _columns(record)
    rows = queries.rows(conn, record, columns, where, limit=MAX_ROWS)
    return ListPage(
        record, role, columns, rows, labels(record), _choices(conn, record, role, filterable),
        chosen, hide_past=current is not None, show_all=show_all,
    )  # fmt: skip


def _by_attribute(record: LayerRecord) -> StyleByAttribute | None:
    definition = record.definition
    return definition.style.by_attribute if isinstance(definition, VectorLayer) else None


def badge(record: LayerRecord, name: str, value: Any) -> listing.Badge | None:
    """The status badge of a cell in the page language (``maps.listing.badge``: as on the
    list pages)."""
    return listing.badge(_by_attribute(record), name, value, current_lang())


def _color(found: listing.Badge | None) -> str | None:
    return found.color if found else None


def map_context(page: ListPage) -> dict[str, Any]:
    """GeoJSON features for the small Leaflet map of a list page: values as the page shows
    them (with units), ``@color`` the colour of the feature's class as on the city map."""
    lang = current_lang()
    shown = units(page.record.attributes, lang)
    by = _by_attribute(page.record)
    features = [
        {
            "type": "Feature",
            "id": row.fid,
            "geometry": json.loads(row.geojson) if row.geojson else None,
            "properties": {k: fmt(v, shown.get(k), lang) for k, v in row.values.items()}
            | {"fid": row.fid}
            | (
                {"@color": _color(badge(page.record, by.attribute, row.values.get(by.attribute)))}
                if by
                else {}
            ),
        }
        for row in page.rows
    ]
    return {"features": features}


def lot_rows(conn: Connection, record: LayerRecord, args: Mapping[str, str]) -> ListPage:
    """Wood lots filtered by ``status`` and ``holzart``."""
    filterable = filters.filter_names(record) or (STATUS, "holzart")
    where, chosen = filters.attribute_filters(record, "holzverkauf", args, filterable)
    columns = _columns(record, LOT_FIELDS)
    rows = queries.rows(conn, record, columns, where or Where(), order="", limit=MAX_ROWS)
    return ListPage(
        record, "holzverkauf", columns, rows, labels(record),
        _choices(conn, record, "holzverkauf", filterable), chosen,
    )  # fmt: skip
