"""WMS 1.3.0 at ``/wms`` and WMTS 1.0.0 at ``/wmts`` (KVP, WMTS also RESTful) of every public
layer, rendered by MapServer (:mod:`buergergis.ows`). Private layers are not in the mapfile and
not in the WMTS capabilities, so they answer like unknown layers.

* ``/wms?SERVICE=WMS&REQUEST=GetCapabilities|GetMap|GetFeatureInfo|GetLegendGraphic``
* ``/wmts?SERVICE=WMTS&REQUEST=GetCapabilities|GetTile``
* ``/wmts/1.0.0/WMTSCapabilities.xml``, ``/wmts/1.0.0/{layer}/{style}/{set}/{z}/{row}/{col}.png``
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request

from buergergis.errors import InvalidParameter, NotFound
from buergergis.ows import featureinfo, wmts
from buergergis.ows.engine import MapEngine
from buergergis.services import formatting
from buergergis.store.catalog import LayerRecord
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag, request_key
from buergergis.web.tiles import base_url, tile_service

bp = Blueprint("wms", __name__)


def map_engine() -> MapEngine:
    """The app's MapServer engine (created at the first OGC request)."""
    engine: MapEngine | None = current_app.extensions.get("buergergis.ows")
    if engine is None:
        s = state()
        engine = current_app.extensions["buergergis.ows"] = MapEngine(s.engine, s.settings)
    return engine


def _params() -> dict[str, str]:
    """Query parameters with upper-case names (OGC KVP names are case-insensitive)."""
    return {k.upper(): v for k, v in request.args.items()}


def _records() -> dict[str, LayerRecord]:
    return map_engine().records()


def _etag(*parts: object) -> str:
    versions = [(r.id, r.version) for r in _records().values()]
    return make_etag(versions, request_key(), base_url(), *parts)


@bp.get("/wms")
def wms() -> Response:
    """Every WMS request; GetFeatureInfo as HTML or JSON is written here from MapServer's GML."""
    params = _params()
    if params.get("REQUEST", "").lower() == "getfeatureinfo":
        fmt = params.get("INFO_FORMAT", "text/html")
        if fmt in featureinfo.FORMATS:
            return conditional(_etag(), state().settings.cache_control, lambda: _info(params, fmt))
    return conditional(_etag(), state().settings.cache_control, lambda: _dispatch(params))


def _dispatch(params: dict[str, str]) -> Response:
    answer = map_engine().dispatch(params.items(), f"{base_url()}/wms")
    return Response(answer.body, content_type=answer.content_type)


def _info(params: dict[str, str], fmt: str) -> Response:
    gml = dict(params, INFO_FORMAT=featureinfo.GML_FORMAT)
    answer = map_engine().dispatch(gml.items(), f"{base_url()}/wms")
    if not answer.content_type.startswith(featureinfo.GML_FORMAT):
        return Response(answer.body, content_type=answer.content_type)
    features = featureinfo.parse_gml(answer.body, _records())
    if fmt == "application/json":
        body = json.dumps(featureinfo.geojson(features, base_url()), ensure_ascii=False)
        return Response(body, mimetype="application/json")
    html = render_template("ows/featureinfo.html", features=features, fmt=formatting.fmt)
    return Response(html, mimetype="text/html")


@bp.get("/wmts")
def wmts_kvp() -> Response:
    """WMTS KVP: GetCapabilities and GetTile."""
    params = _params()
    if params.get("SERVICE", "WMTS").upper() != "WMTS":
        raise InvalidParameter("Parameter SERVICE: erwartet wird WMTS.")
    operation = params.get("REQUEST", "").lower()
    if operation == "getcapabilities":
        return wmts_capabilities()
    if operation == "gettile":
        if params.get("FORMAT", wmts.FORMAT) != wmts.FORMAT:
            raise InvalidParameter(f"FORMAT: angeboten wird nur {wmts.FORMAT}.")
        layer, style, matrix_set, z, row, col = (
            params.get(k, "")
            for k in ("LAYER", "STYLE", "TILEMATRIXSET", "TILEMATRIX", "TILEROW", "TILECOL")
        )
        return wmts_tile(layer, style, matrix_set, z, row, col)
    raise InvalidParameter("Parameter REQUEST: erlaubt sind GetCapabilities und GetTile.")


@bp.get("/wmts/1.0.0/WMTSCapabilities.xml")
def wmts_capabilities() -> Response:
    """The WMTS capabilities of all public layers (German texts, licences, contact)."""

    def build() -> Response:
        body = wmts.capabilities(
            list(_records().values()), f"{base_url()}/wmts", f"{base_url()}/wms"
        )
        return Response(body, mimetype="application/xml")

    return conditional(_etag("wmts"), state().settings.cache_control, build)


@bp.get("/wmts/1.0.0/<layer>/<style>/<matrix_set>/<z>/<row>/<name>")
def wmts_rest(layer: str, style: str, matrix_set: str, z: str, row: str, name: str) -> Response:
    """A WMTS tile, RESTful: ``{TileCol}.png``."""
    col, _, ext = name.partition(".")
    if ext != "png":
        raise NotFound("Kacheln gibt es als .png.")
    return wmts_tile(layer, style, matrix_set, z, row, col)


def wmts_tile(layer: str, style: str, matrix_set: str, z: str, row: str, col: str) -> Response:
    """One WMTS tile of a public layer (404 for unknown or private layers)."""
    spec = wmts.TileRequest.parse(layer, style, matrix_set, z, row, col)
    record = _records().get(spec.layer)
    if record is None:
        raise NotFound(f"Die Ebene '{spec.layer[:60]}' gibt es nicht.")
    etag = make_etag([(record.id, record.version)], "wmts", spec)

    def build() -> Response:
        png = wmts.tile_png(tile_service(), record, spec.tile, map_engine().render)
        return Response(png, mimetype=wmts.FORMAT)

    return conditional(etag, state().settings.cache_control, build)
