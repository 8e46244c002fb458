"""``/extern/<layer>/<z>/<x>/<y>.png`` and ``/extern/<layer>/legende.png``: other
authorities' tiles and legends, fetched and cached by BürgerGIS (MapProxy in-process), so the
citizen's browser never contacts the authority (issue 16).

A failing upstream gives the "Dienst nicht erreichbar" tile (200, ``no-store``, header
``X-Extern-Status: nicht-erreichbar``), so the map shows the notice and tries again later.
"""

from __future__ import annotations

import dataclasses
import logging

from flask import Blueprint, Flask, Response, current_app, jsonify

from buergergis.catalog.models import ExternalLayer
from buergergis.extern import External, featureinfo, load_external
from buergergis.extern.proxy import UNAVAILABLE, Image
from buergergis.services.report import Report

bp = Blueprint("extern", __name__)
log = logging.getLogger("buergergis.extern")
#: Browsers may keep a good external tile this long (the upstream has no versions).
MAX_AGE_S = 3600


def init_app(app: Flask) -> None:
    """Read the external layers once per app; refused definitions are logged (German)."""
    external = load_external(app.extensions["buergergis"].settings)
    for problem in external.registry.problems:
        log.error("Externe Ebene abgelehnt: %s", problem)
    app.extensions["buergergis.extern"] = external


def external() -> External:
    """The external layers of the current app."""
    result: External = current_app.extensions["buergergis.extern"]
    return result


def external_layers() -> tuple[ExternalLayer, ...]:
    """The public external layers (empty when the extension is not registered)."""
    found: External | None = current_app.extensions.get("buergergis.extern")
    return found.registry.public if found else ()


def with_external_answers(found: Report) -> Report:
    """„Mein Ort“/„Was gilt hier?“ with the GetFeatureInfo answers of external WMS layers."""
    ext: External | None = current_app.extensions.get("buergergis.extern")
    if ext is None or not ext.registry.public:
        return found
    point = found.point
    answers = featureinfo.answers(ext.registry.public, point.lon, point.lat, ext.policy)
    return dataclasses.replace(found, external=tuple(answers))


def _response(image: Image) -> Response:
    response = Response(image.body, mimetype=image.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if image.ok:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Extern-Status"] = "nicht-erreichbar"
    return response


@bp.get("/extern/<layer_id>/<int:z>/<int:x>/<int:y>.png")
def tile(layer_id: str, z: int, x: int, y: int) -> Response:
    """One Web-Mercator tile of an external layer."""
    return _response(external().proxy.tile(layer_id, z, x, y))


@bp.get("/extern/<layer_id>/legende.png")
def legend(layer_id: str) -> Response:
    """The legend of an external WMS layer (its GetLegendGraphic, proxied)."""
    return _response(external().proxy.legend(layer_id))


@bp.get("/extern/<layer_id>/status.json")
def status(layer_id: str) -> Response:
    """Whether the layer's service answered the last time (the map shows a message if not)."""
    ok = external().proxy.reachable(layer_id)
    response = jsonify({"layer": layer_id, "ok": ok, "message": None if ok else UNAVAILABLE})
    response.headers["Cache-Control"] = "no-store"
    return response
