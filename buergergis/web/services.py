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
    current_app,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from buergergis.errors import NotFound
from buergergis.services import config, feeds, filters, holz, offices, opening, report, report_pdf
from buergergis.services.config import TITLES
from buergergis.store.catalog import LayerRecord, require_layer
from buergergis.store.services import changes
from buergergis.store.services.queries import Row, Where
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag, request_key
from buergergis.web.services_support import (
    PAGES,
    cached,
    html_page,
    json_response,
    labels,
    lot_rows,
    map_context,
    no_store,
    offer_page,
    public_records,
    role_record,
    service_layers,
)

bp = Blueprint("services", __name__)

#: Kaufanfragen per IP address (override with app.config["BUERGERGIS_KAUFANFRAGE_LIMIT"]).
REQUEST_LIMIT = "5 per minute;30 per day"
JSON_PATHS = (".json", ".atom", "/offen")
LIMITER = "buergergis_services_limiter"


def init_app(app: Flask) -> None:
    """Service roles and the rate limit of the Kaufanfrage form."""
    app.extensions["buergergis_services"] = config.from_environment()
    app.extensions[LIMITER] = Limiter(
        get_remote_address, app=app, storage_uri="memory://", key_prefix="services"
    )


def _request_limit() -> Any:
    """The per-address limit of Kaufanfragen (a context manager; 429 when exceeded)."""
    value = current_app.config.get("BUERGERGIS_KAUFANFRAGE_LIMIT", REQUEST_LIMIT)
    return current_app.extensions[LIMITER].limit(value)


# ---- overview and Bürgeramt -----------------------------------------------------------------


@bp.get("/dienste")
def index() -> Response:
    """All city services with links."""
    with state().engine.connect() as conn:
        records = public_records(conn)
    layers = service_layers()
    available = {role for role in TITLES if layers.layer_id(role) in {r.id for r in records}}
    return cached(records, lambda: html_page("services/index.html", available=available,
                                             pages=PAGES, titles=TITLES))  # fmt: skip


@bp.get("/dienste/buergeramt")
def offices_page() -> Response:
    """All service points with "Jetzt geöffnet"; with lat/lon the nearest open one first."""
    at = opening.parse_moment(request.args.get("at"))
    wanted = request.args.get("lat") or request.args.get("lon")
    point = report.parse_point(request.args) if wanted else None
    with state().engine.connect() as conn:
        record = role_record(conn, "buergeramt")
        if point:
            found = offices.near(conn, record, point.lon, point.lat, at)
        else:
            found = offices.everything(conn, record, at)
    return no_store(html_page(
        "services/offices.html", offices=found, point=point, record=record,
        open_office=offices.nearest_open(found) if point else None,
        opening_next=offices.opening_next(found) if point else None,
    ))  # fmt: skip


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
        "office": best.to_dict() if best else None,
        "opens_next": soon.to_dict() if soon and not best else None,
        "note": report.NOTE,
    }
    return no_store(json_response(body))


@bp.get("/dienste/buergeramt/status.json")
def office_status() -> Response:
    """JSON: the opening status of one service point (``id``) now or at ``at`` — map popups."""
    fid = (request.args.get("id") or "").strip()[:200]
    at = opening.parse_moment(request.args.get("at"))
    with state().engine.connect() as conn:
        found = offices.one(conn, role_record(conn, "buergeramt"), fid, at)
    return no_store(json_response({"office": found.to_dict(), "note": report.NOTE}))


@bp.get("/dienste/<role>")
def offers(role: str) -> Response:
    """Kitas, Ferienaktionen, Stellenangebote, Fahrzeugverkauf: current entries by default."""
    if role not in PAGES:
        raise NotFound(f"Den Dienst '{role[:40]}' gibt es nicht.")
    with state().engine.connect() as conn:
        record = role_record(conn, role)
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
    """The Kaufanfrage: form (GET), storing and redirect to the confirmation (POST)."""
    secret = current_app.config["SECRET_KEY"]
    if request.method == "GET" and not request.args.get("los"):
        return redirect(url_for("services.lots", status=holz.FREE))
    with state().engine.connect() as conn:
        record = role_record(conn, "holzverkauf")
        fid = (request.values.get("los") or "").strip()[:200]
        lot = holz.lot_for_request(conn, record, fid)
    if request.method == "GET":
        return no_store(html_page("services/request_form.html", lot=lot, labels=labels(record),
                                  form=holz.new_form(fid, secret)))  # fmt: skip
    with _request_limit():
        return _store_request(record, lot, secret)


def _store_request(record: LayerRecord, lot: Row, secret: str) -> ResponseReturnValue:
    holz.check_origin(request.headers, request.host_url)
    form = holz.RequestForm(request.form)
    submission = holz.validate(form, secret)
    if submission is None:
        response = html_page(
            "services/request_form.html", lot=lot, labels=labels(record), form=form
        )
        response.status_code = 400
        return no_store(response)
    created = holz.submit(state().engine, record, submission)
    token = holz.confirmation_token(secret, created)
    return redirect(url_for("services.request_done", token=token), 303)


@bp.get("/holzverkauf/anfrage/bestaetigung/<token>")
def request_done(token: str) -> Response:
    """The confirmation with the reference number (signed link, no enumeration)."""
    request_id = holz.confirmed_id(current_app.config["SECRET_KEY"], token)
    with state().engine.connect() as conn:
        found = holz.request_summary(conn, request_id)
    return no_store(html_page("services/request_done.html", req=found, berlin=opening.BERLIN))


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
    return no_store(html_page("services/report.html", report=found, titles=TITLES,
                              printable=printable))  # fmt: skip


@bp.get("/mein-ort.pdf")
def my_place_pdf() -> Response:
    """„Mein Ort" as a PDF (A4) from the print view, with the "keine amtliche Auskunft" note."""
    page = html_page("services/report.html", report=_report(), titles=TITLES, printable=True)
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
        return report.build(conn, records, layers, point, at)
