"""``/druck.pdf``: the print of the city map (issue 16) – A4 or A3, portrait or landscape.

Parse the map's view (permalink parameters) plus paper → draw the view from the map's own tiles
(``tiles.picture``) → compose the sheet (``maps/print.html``, ``maps.printing``) → PDF through
the one WeasyPrint mechanism of this service (``services.report_pdf``). Bad parameters raise
``InvalidParameter`` (400 with a German message on the one error path).
"""

from __future__ import annotations

import logging
import time
from datetime import date

from flask import Blueprint, Response, current_app, render_template, request

from buergergis.maps.build import visible_ids
from buergergis.maps.layers import map_layer
from buergergis.maps.printing import paint_of, parse_print, print_page, printable
from buergergis.services import report_pdf
from buergergis.services.filters import today
from buergergis.services.on_map import MapServices, map_services
from buergergis.store.catalog import list_layers
from buergergis.tiles.picture import PrintLayer, draw
from buergergis.tiles.provider import TileProvider
from buergergis.web import state
from buergergis.web.services_support import service_layers

bp = Blueprint("printing", __name__)
log = logging.getLogger("buergergis.web.printing")


@bp.get("/druck.pdf")
def print_pdf() -> Response:
    """The current map view as a PDF with legend, scale bar, north arrow, date and sources."""
    started = time.perf_counter()
    wanted = parse_print(request.args)
    view, settings = wanted.view, state().settings
    with state().engine.connect() as conn:
        records = list_layers(conn)
    by_id = {r.id: r for r in records}
    layers = [map_layer(r, view.lang) for r in records]
    chosen = printable(layers, visible_ids(layers, view))
    day = today()
    services = map_services(records, service_layers(), view.show_past, day)
    page = print_page(wanted, chosen, view.center or settings.home.center, day)
    provider: TileProvider = current_app.extensions["buergergis.tiles"]
    basemap = settings.basemap_url if view.basemap != "none" else ""
    picture = draw(
        provider,
        page.frame,
        [PrintLayer(by_id[la.id], paint_of(la, _past(services, la.id, day))) for la in chosen],
        basemap_url=basemap,
    )
    html = render_template(
        "maps/print.html",
        page=page,
        picture=picture,
        basemap_attribution=settings.basemap_attribution if picture.basemap_drawn else "",
        lang=view.lang,
    )
    resources = {"karte.png": (picture.png, "image/png")} if picture.png else {}
    pdf = report_pdf.render(html, settings.root / "static", resources)
    log.info(
        "print %s %s zoom %d: %d layers, %d bytes in %.2f s",
        wanted.paper,
        wanted.orientation,
        page.frame.zoom,
        len(chosen),
        len(pdf),
        time.perf_counter() - started,
    )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="karte-hameln.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _past(services: MapServices, layer_id: str, day: date) -> tuple[str, date] | None:
    """The map's "nothing past" rule of a layer (``alle=1`` shows everything), if any."""
    attribute = services.past.get(layer_id)
    return None if attribute is None or services.show_past else (attribute, day)
