"""Cache hits of ``/tiles/{layers}/{z}/{x}/{y}.{fmt}`` answered in front of Flask (WSGI).

A cached public tile needs three things: the current layer versions (the same strict,
prepared catalog query as the Flask view), the file, and the headers. Everything else a
Flask request runs — session and login handling, rate-limiter hooks, request logging,
compression — is not needed for it and costs more than the tile itself. So hits are answered
here; the fast path reuses the normal path's parts: the app's URL map (the route's grammar),
:meth:`TileSpec.parse`, the one conditional-response helper and the one CORS definition
(``tests/test_tiles_cache.py`` compares both paths header by header).

Everything else goes on to Flask unchanged: misses (Flask renders and stores), private or
unknown layers, query strings, malformed paths and any error — so errors keep their one
JSON body and their one place.
"""

from __future__ import annotations

import gzip
import logging
from typing import Any

import psycopg
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from buergergis import metrics
from buergergis.errors import BuergerGISError
from buergergis.tiles.provider import (
    Tile,
    TileProvider,
    TileSpec,
    check_request,
    parse_versioned_key,
    versions_of,
)
from buergergis.web.caching import CORS_HEADERS, conditional, make_etag
from buergergis.web.lean import LeanPath, WSGIApp

log = logging.getLogger("buergergis.tiles")

#: The endpoint of the Flask view whose cache hits are answered here, and its rule.
ENDPOINT = "tiles.xyz_tile"
ROUTE = "/tiles/<layers>/<int:z>/<int:x>/<name>"
#: Versioned tile URLs (TileJSON, map): hits of their current version are answered here too
#: (behind nginx they never get here; ``make run`` has no nginx).
VERSIONED_ENDPOINT = "tiles.versioned_tile"
IMMUTABLE = "public, max-age=31536000, immutable"


def tile_response(request: Request, tile: Tile, response_class: type[Response] = Response) -> Any:
    """The body of a tile: gzip as stored when accepted, ``Vary: Accept-Encoding``.

    An empty tile is sent as an empty body without ``Content-Encoding`` (zero bytes are not
    a valid gzip stream).
    """
    if tile.gzipped and tile.data and request.accept_encodings.quality("gzip") > 0:
        response = response_class(tile.data, mimetype=tile.media_type)
        response.headers["Content-Encoding"] = "gzip"
    else:
        plain = gzip.decompress(tile.data) if tile.gzipped and tile.data else tile.data
        response = response_class(plain, mimetype=tile.media_type)
    response.vary.add("Accept-Encoding")
    return response


class CachedTiles(LeanPath):
    """WSGI middleware: answers cache hits of public tiles, passes everything else on."""

    route = ROUTE

    def __init__(
        self, wsgi_app: WSGIApp, service: TileProvider, cache_control: str, url_map: Map
    ) -> None:
        super().__init__(wsgi_app)
        self.service = service
        self.cache_control = cache_control
        self.url_map = url_map

    def candidate(self, environ: dict[str, Any]) -> bool:
        """A GET/HEAD under ``/tiles/`` without a query string, with the cache on."""
        return (
            environ.get("REQUEST_METHOD") in ("GET", "HEAD")
            and not environ.get("QUERY_STRING")
            and environ.get("PATH_INFO", "").startswith("/tiles/")
            and self.service.cache.enabled
        )

    def answer(self, environ: dict[str, Any]) -> Response | None:
        """The cached tile, or ``None`` (a miss, private, malformed, any error)."""
        return self._hit(environ)

    def _spec(self, environ: dict[str, Any]) -> tuple[TileSpec, tuple[int, ...] | None] | None:
        """The tile of the request by the Flask route's own grammar and, for a versioned URL,
        its versions (``None``: not a tile)."""
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        if endpoint == VERSIONED_ENDPOINT:
            ids, versions = parse_versioned_key(args["key"])
            spec = TileSpec.parse(",".join(ids), args["z"], args["x"], args["name"])
            return spec, versions
        if endpoint != ENDPOINT:
            return None
        return TileSpec.parse(args["layers"], args["z"], args["x"], args["name"]), None

    def _hit(self, environ: dict[str, Any]) -> Response | None:
        try:
            found = self._spec(environ)
            if found is None:
                return None
            spec, pinned = found
            records, _public = self.service.resolve(spec.layer_ids)  # private → NotFound
            if pinned is not None and tuple(r.version for r in records) != pinned:
                return None  # an old version: Flask redirects to the current tile
            check_request(records, spec)
            tile = self.service.cached(records, spec)
        except (BuergerGISError, psycopg.Error, SQLAlchemyError) as exc:
            log.debug("tile fast path declined %s: %s", environ.get("PATH_INFO"), exc)
            return None
        if tile is None:
            return None
        metrics.tile_cache("hit")
        request = Request(environ)
        etag = make_etag(versions_of(records), spec)
        response: Response = conditional(
            etag,
            self.cache_control if pinned is None else IMMUTABLE,
            lambda: tile_response(request, tile),
            req=request,
            response_class=Response,
        )
        response.headers.update(CORS_HEADERS)
        return response
