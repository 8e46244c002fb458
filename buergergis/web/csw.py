"""Metadata for geoportals: CSW 2.0.2 at ``/csw`` (ISO 19139 output) and OGC API – Records
under ``/records``, both served by pycsw from the catalogue of the public layers
(:mod:`buergergis.ows.catalogue`, rebuilt when a layer changes)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from pycsw import server
from pycsw.ogc.api.records import API
from sqlalchemy.exc import StatementError

from buergergis.errors import InvalidParameter, NotFound
from buergergis.ows.catalogue import Catalogue, CatalogueStore
from buergergis.store.catalog import list_layers
from buergergis.values import parse_int
from buergergis.web import state
from buergergis.web.tiles import base_url

bp = Blueprint("csw", __name__)
log = logging.getLogger("buergergis.csw")
COLLECTION = "metadata:main"
_local = threading.local()


def catalogue() -> Catalogue:
    """The current catalogue of the public layers for this public address."""
    store: CatalogueStore | None = current_app.extensions.get("buergergis.csw")
    if store is None:
        directory = state().settings.var / "cache" / "csw"
        store = current_app.extensions["buergergis.csw"] = CatalogueStore(directory)
    with state().engine.connect() as conn:
        records = list_layers(conn)
    return store.current(records, base_url())


@bp.route("/csw", methods=["GET", "POST"])
def csw() -> Response:
    """CSW 2.0.2 (and 3.0): GetCapabilities, DescribeRecord, GetRecords, GetRecordById, …"""
    environ = dict(request.environ)
    environ["wsgi.input"] = request.stream if request.method == "POST" else environ["wsgi.input"]
    service = server.Csw(catalogue().config(), environ)
    status, content = service.dispatch_wsgi()
    response = Response(
        content, status=int(str(status).split()[0]), content_type=service.contenttype
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _api() -> API:
    """pycsw's Records API for the current catalogue, one per thread (it holds a session)."""
    current = catalogue()
    cached = getattr(_local, "api", None)
    if cached is None or cached[0] != current.key:
        config = current.config()
        config["server"]["url"] = f"{current.base_url}/records"
        _local.api = cached = (current.key, API(config))
    return cached[1]


#: What pycsw raises on malformed search parameters (it does not check all of them itself).
_BAD_INPUT = (ValueError, TypeError, KeyError, IndexError, AttributeError, StatementError)


def _send(call: Callable[[API], tuple[dict[str, str], int, Any]]) -> Response:
    """Run one Records API call; malformed input is a 400, never a 500."""
    api = _api()
    try:
        headers, status, content = call(api)
    except _BAD_INPUT as exc:
        log.info("records request refused: %s: %s", type(exc).__name__, exc)
        raise InvalidParameter("Diese Anfrage an den Metadatenkatalog ist ungültig.") from exc
    finally:
        api.repository.session.rollback()  # forget what pycsw changed on the loaded records
    response = Response(content, status=status)
    for name, value in headers.items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-cache"
    return response


def _headers() -> dict[str, str]:
    return dict(request.headers)


def _collection(collection: str) -> str:
    """The one record collection (pycsw's ``metadata:main``); others are 404."""
    if collection != COLLECTION:
        raise NotFound(f"Die Sammlung '{collection[:60]}' gibt es nicht ({COLLECTION}).")
    return collection


@bp.get("/records")
def landing() -> Response:
    """OGC API – Records landing page."""
    return _send(lambda api: api.landing_page(_headers(), request.args))


@bp.get("/records/conformance")
def conformance() -> Response:
    """Conformance classes."""
    return _send(lambda api: api.conformance(_headers(), request.args))


@bp.get("/records/openapi")
def openapi() -> Response:
    """The OpenAPI document of the Records API."""
    return _send(lambda api: api.openapi(_headers(), request.args))


@bp.get("/records/collections")
def collections() -> Response:
    """The record collections (one: ``metadata:main``)."""
    return _send(lambda api: api.collections(_headers(), request.args))


@bp.get("/records/collections/<collection>")
def collection(collection: str) -> Response:
    """One record collection."""
    name = _collection(collection)
    return _send(lambda api: api.collection(_headers(), request.args, name))


@bp.get("/records/collections/<collection>/queryables")
def queryables(collection: str) -> Response:
    """Queryables of a record collection."""
    name = _collection(collection)
    return _send(lambda api: api.queryables(_headers(), request.args, name))


@bp.get("/records/collections/<collection>/items")
def items(collection: str) -> Response:
    """Records (search with q, bbox, datetime, filter)."""
    name = _collection(collection)
    for number in ("limit", "offset"):  # pycsw answers 500 beyond SQLite's integers
        parse_int(request.args.get(number), number)
    return _send(lambda api: api.items(_headers(), None, dict(request.args), name))


@bp.get("/records/collections/<collection>/items/<item>")
def item(collection: str, item: str) -> Response:
    """One record."""
    name = _collection(collection)
    return _send(lambda api: api.item(_headers(), request.args, name, item))
