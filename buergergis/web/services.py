"""Citizen routes of the city services: Bürgeramt status, Holzverkauf, offers, feeds, „Mein Ort".

Views parse parameters, read through ``buergergis.services``/``store``, and render. HTML
pages get German HTML errors, JSON and Atom the one JSON error body. No cookies are set:
the Kaufanfrage form is protected by a signed token and an origin check (``services.holz``).
The staff pages live in ``buergergis.admin.dienste`` and are registered by :func:`init_app`.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import Connection

from buergergis.errors import NotFound
from buergergis.services import (
    config,
    feeds,
    filters,
    holz,
    offices,
    opening,
    opening_table,
    report,
    report_pdf,
)
from buergergis.services.config import TITLES
from buergergis.store.catalog import require_layer
from buergergis.store.services import changes
from buergergis.store.services.queries import Where
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag, request_key
from buergergis.web.extern import with_external_answers
from buergergis.web.services_support import (
    cached,
    current_lang,
    html_page,
    json_response,
    link,
    list_pages,
    lot_rows,
    map_context,
    no_store,
    offer_page,
    page_texts,
    public_records,
    role_record,
    service_layers,
    switch_url,
    week_markup,
)

bp = Blueprint("services", __name__)

JSON_PATHS = (".json", ".atom", "/offen")


def init_app(app: Flask) -> None:
    """Template helpers of the citizen pages (service behaviour comes from the layer files)."""
    # the citizen layout (also under templates/error.html) reads its texts from these
    app.jinja_env.globals.update(
        service_texts=page_texts,
        service_href=link,
        service_switch=switch_url,
        opening_week=week_markup,
        hours_field=offices.HOURS,
    )


# ---- overview and Bürgeramt -----------------------------------------------------------------


@bp.get("/dienste")
def index() -> Response:
    """All city services with links."""
    with state().engine.connect() as conn:
        records = public_records(conn)
    layers = service_layers()
    available = {role for role in TITLES if layers.layer_id(role) in {r.id for r in records}}
    available |= {r.id for r in records if config.service_of(r)}
    return cached(records, lambda: html_page("services/index.html", available=available,
                                             pages=list_pages(records),
                                             service_titles=config.titles(records)))  # fmt: skip


@bp.get("/dienste/buergeramt")
def offices_page() -> Response:
    """All service points with "Jetzt geöffnet"; from "Mein Standort", an address or a click
    on the map (``lat``/``lon`` or ``adresse``) the nearest open one first."""
    at = opening.parse_moment(request.args.get("at"))
    with state().engine.connect() as conn:
        record = role_record(conn, "buergeramt")
        point = _start_point(conn)
        if point:
            found = offices.near(conn, record, point.lon, point.lat, at)
        else:
            found = offices.everything(conn, record, at)
    return no_store(html_page(
        "services/offices.html", offices=found, point=point, record=record,
        open_office=offices.nearest_open(found) if point else None,
        opening_next=offices.opening_next(found) if point else None, at=at,
    ))  # fmt: skip


def _start_point(conn: Connection) -> report.Point | None:
    """The point of the Bürgeramt page: ``lat``/``lon`` (location or map click) or ``adresse``."""
    if request.args.get("lat") or request.args.get("lon"):
        return report.parse_point(request.args)
    if not (request.args.get("adresse") or "").strip():
        return None
    layer_id = service_layers().layer_id("adressen")
    address_layer = next((r for r in public_records(conn) if r.id == layer_id), None)
    return report.find_address(conn, address_layer, request.args["adresse"])


@bp.get("/dienste/buergeramt/offen")
def nearest_open_office() -> Response:
    """JSON: the nearest office open at ``at`` (default now) from ``lat``/``lon``."""
    point = report.parse_point(request.args)
    at = opening.parse_moment(request.args.get("at"))
    with state().engine.connect() as conn:
        found = offices.near(conn, role_record(conn, "buergeramt"), point.lon, point.lat, at)
    best, soon = offices.nearest_open(found), offices.opening_next(found)
    body = {
        "point": {"lon": point.lon, "lat": point.lat},
        "at": opening.to_berlin(at).isoformat(),
        "office": _office_json(best) if best else None,
        "opens_next": _office_json(soon) if soon and not best else None,
        "note": report.NOTE,
    }
    return no_store(json_response(body))


def _office_json(office: offices.Office) -> dict[str, Any]:
    """An office as JSON with its status line in the page language (``lang``)."""
    body = office.to_dict()
    body["status"]["text"] = opening_table.status_text(office.status, current_lang())
    return body


@bp.get("/dienste/buergeramt/status.json")
def office_status() -> Response:
    """JSON: the opening status of one service point (``id``) now or at ``at`` — map popups."""
    fid = (request.args.get("id") or "").strip()[:200]
    at = opening.parse_moment(request.args.get("at"))
    lang = current_lang()
    with state().engine.connect() as conn:
        found = offices.one(conn, role_record(conn, "buergeramt"), fid, at)
    body = found.to_dict()
    body["status"]["text"] = opening_table.status_text(found.status, lang)
    week = opening_table.safe_week_table(str(found.row.values.get(offices.HOURS) or ""), at, lang)
    body["week"] = week.to_dict() if week else {"unreadable": opening_table.unreadable(lang)}
    return no_store(json_response({"office": body, "note": report.NOTE}))


@bp.get("/dienste/<role>")
def offers(role: str) -> Response:
    """Kitas, Ferienaktionen, Stellenangebote, Fahrzeugverkauf: current entries by default."""
    with state().engine.connect() as conn:
        record = role_record(conn, role)
        if role not in list_pages([record]):
            raise NotFound(
                f"Den Dienst '{role[:40]}' gibt es nicht.",
                description_en=f"There is no service '{role[:40]}'.",
            )
        page = offer_page(conn, record, role, request.args)
    etag_parts = (filters.today(),) if page.hide_past else ()
    return cached([record], lambda: html_page("services/offers.html", page=page), *etag_parts)


# ---- Holzverkauf ---------------------------------------------------------------------------


@bp.get("/holzverkauf")
def lots() -> Response:
    """Wood lots with filters for status and Holzart, as a list and a map."""
    with state().engine.connect() as conn:
        record = role_record(conn, "holzverkauf")
        page = lot_rows(conn, record, request.args)
    return cached([record], lambda: html_page("services/lots.html", page=page, **map_context(page)))


@bp.route("/holzverkauf/anfrage", methods=["GET", "POST"])
def request_form() -> ResponseReturnValue:
    """The old Kaufanfrage URL: to the generic form of the lot (308 keeps a POST a POST)."""
    fid = (request.values.get("los") or "").strip()[:200]
    lang: dict[str, Any] = {"lang": "en"} if current_lang() == "en" else {}
    if not fid:
        return redirect(url_for("services.lots", status=holz.FREE, **lang))
    target = url_for("anfragen.form", layer_id=service_layers().layer_id("holzverkauf"),
                     fid=fid, **lang)  # fmt: skip
    return redirect(target, 308 if request.method == "POST" else 301)


@bp.get("/holzverkauf/anfrage/bestaetigung/<token>")
def request_done(token: str) -> ResponseReturnValue:
    """Old confirmation links: the status page (reference number and secret)."""
    return redirect(url_for("anfragen.status"), 301)


# ---- feeds and „Mein Ort" ------------------------------------------------------------------


@bp.get("/feeds/<layer_id>.atom")
def feed(layer_id: str) -> Response:
    """Atom feed of new and changed features of a public vector layer."""
    with state().engine.begin() as conn:
        record = require_layer(conn, layer_id, vector=True)
        current = filters.current_only(record, service_layers())
        etag = make_etag([(record.id, record.version)], request_key(), current and current.params)

        def build() -> Response:
            changes.sync(conn, record.id)
            info = feeds.feed_info(record, state().settings.public_url)
            fields = info.fields + ((info.label,) if info.label else ())
            entries = changes.recent(conn, record, fields, feeds.LIMIT, current or Where())
            return Response(feeds.build(info, entries), mimetype="application/atom+xml")

        return conditional(etag, state().settings.cache_control, build)


@bp.get("/mein-ort")
def my_place() -> ResponseReturnValue:
    """„Mein Ort" as a printable page; without a point a form (coordinates, address, map)."""
    if not any(request.args.get(k) for k in ("lat", "lon", "adresse")):
        return no_store(html_page("services/report_form.html", note=report.NOTE))
    found = _report()
    printable = request.args.get("druck") == "1"
    return no_store(html_page("services/report.html", report=found, printable=printable,
                              at=found.at))  # fmt: skip


@bp.get("/mein-ort.pdf")
def my_place_pdf() -> Response:
    """„Mein Ort" as a PDF (A4) from the print view, with the "keine amtliche Auskunft" note."""
    found = _report()
    page = html_page("services/report.html", report=found, printable=True, at=found.at)
    pdf = report_pdf.render(page.get_data(as_text=True), state().settings.root / "static")
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="mein-ort.pdf"'
    return no_store(response)


@bp.get("/mein-ort.json")
def my_place_json() -> Response:
    """„Mein Ort" as JSON."""
    return no_store(json_response(report.to_dict(_report())))


def _report() -> report.Report:
    at = opening.to_berlin(opening.parse_moment(request.args.get("at")))
    layers = service_layers()
    with state().engine.connect() as conn:
        records = public_records(conn)
        if request.args.get("adresse") and not request.args.get("lat"):
            address_layer = next((r for r in records if r.id == layers.layer_id("adressen")), None)
            point = report.find_address(conn, address_layer, request.args["adresse"])
        else:
            point = report.parse_point(request.args)
        found = report.build(conn, records, layers, point, at)
    return with_external_answers(found)
