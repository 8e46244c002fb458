"""Cache hits of ``/tiles/{layers}/{z}/{x}/{y}.{fmt}`` answered in front of Flask (WSGI).

A cached public tile needs three things: the current layer versions (the same strict,
prepared catalog query as the Flask view), the file, and the headers. Everything else a
Flask request runs — session and login handling, rate-limiter hooks, request logging,
compression — is not needed for it and costs more than the tile itself. So hits are answered
here with exactly the headers the Flask view sets (ETag, 304, Cache-Control, Vary, CORS;
``tests/test_tiles_cache.py`` compares both paths header by header).

Everything else goes on to Flask unchanged: misses (Flask renders and stores), private or
unknown layers, query strings, malformed paths and any error — so errors keep their one
JSON body and their one place.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Request, Response

from buergergis.errors import BuergerGISError
from buergergis.tiles.service import Tile, TileService, TileSpec, check_request, versions_of
from buergergis.web.caching import make_etag, with_validators

log = logging.getLogger("buergergis.tiles")

_PATH = re.compile(
    r"^/tiles/([a-z0-9_,-]{1,500})/([0-9]{1,2})/([0-9]{1,8})/([0-9]{1,8}(?:@2x)?\.(?:mvt|pbf|png|webp))$"
)
#: The same CORS headers ``web/caching.py`` adds to every ``/tiles`` response.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Content-Crs, Link, Last-Modified",
}
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def tile_response(
    request: Request,
    tile: Tile,
    etag: str,
    cache_control: str,
    response_class: type[Response] = Response,
) -> Response:
    """The response for a tile: gzip as stored when accepted, validators, ``Vary``.

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
    result: Response = with_validators(response, etag, cache_control)  # type: ignore[arg-type]
    return result


class CachedTiles:
    """WSGI middleware: answers cache hits of public tiles, passes everything else on."""

    def __init__(self, wsgi_app: WSGIApp, service: TileService, cache_control: str) -> None:
        self.wsgi_app = wsgi_app
        self.service = service
        self.cache_control = cache_control

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and not environ.get("QUERY_STRING"):
            match = _PATH.match(environ.get("PATH_INFO", ""))
            if match is not None and self.service.cache.enabled:
                response = self._hit(environ, match)
                if response is not None:
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _hit(self, environ: dict[str, Any], match: re.Match[str]) -> Response | None:
        try:
            spec = TileSpec.parse(match[1], int(match[2]), int(match[3]), match[4])
            records, _public = self.service.resolve(spec.layer_ids)  # private → NotFound
            check_request(records, spec)
            tile = self.service.cached(records, spec)
        except (BuergerGISError, psycopg.Error, SQLAlchemyError) as exc:
            log.debug("tile fast path declined %s: %s", environ.get("PATH_INFO"), exc)
            return None
        if tile is None:
            return None
        request = Request(environ)
        etag = make_etag(versions_of(records), spec)
        if request.if_none_match.contains_weak(etag) or request.if_none_match.star_tag:
            response: Response = with_validators(Response(status=304), etag, self.cache_control)  # type: ignore[arg-type]
        else:
            response = tile_response(request, tile, etag, self.cache_control)
        response.headers.update(CORS_HEADERS)
        return response
