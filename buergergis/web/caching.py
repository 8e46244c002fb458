"""HTTP validators, caching headers and CORS — one mechanism for features, tiles and maps.

ETags are derived from the layer versions a response depends on plus the normalised
request, so a reload (new, never reused version number) changes every validator at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from flask import Flask, Response, request
from flask_compress import Compress
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

R = TypeVar("R", bound=WerkzeugResponse)

COMPRESSIBLE = [
    "application/json",
    "application/geo+json",
    "application/schema+json",
    "application/vnd.oai.openapi+json;version=3.0",
    "application/atom+xml",
    "text/html",
    "text/css",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
]
#: Key of the app's Flask-Compress instance in ``app.extensions``.
COMPRESSOR = "buergergis.compress"
CORS_PREFIXES = ("/ogc", "/tiles", "/search", "/static", "/oembed", "/feeds")
#: The one CORS definition: public GET APIs may be read from any origin.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Content-Crs, Link, Last-Modified",
}


def make_etag(versions: Iterable[tuple[str, int]], *parts: object) -> str:
    """A weak ETag from ``(layer_id, version)`` pairs and anything else the body depends on."""
    digest = hashlib.blake2b(digest_size=12)
    for layer_id, version in sorted(versions):
        digest.update(f"{layer_id}@{version};".encode())
    for part in parts:
        digest.update(repr(part).encode())
    return digest.hexdigest()


def request_key() -> tuple[str, str, str]:
    """What identifies a representation: path, sorted query string and negotiated language."""
    query = "&".join(sorted(f"{k}={v}" for k, values in request.args.lists() for v in values))
    return request.path, query, request.headers.get("Accept", "")


def is_fresh(etag: str, req: WerkzeugRequest | None = None) -> bool:
    """Whether the client's ``If-None-Match`` matches ``etag`` (weak comparison)."""
    req = req or request
    return bool(req.if_none_match.contains_weak(etag) or req.if_none_match.star_tag)


def with_validators(
    response: R, etag: str, cache_control: str, last_modified: datetime | None = None
) -> R:
    """Set ETag, Last-Modified, Cache-Control and Vary on a response."""
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept")
    return response


def conditional(
    etag: str,
    cache_control: str,
    build: Callable[[], R],
    *,
    last_modified: datetime | None = None,
    req: WerkzeugRequest | None = None,
    response_class: type[R] = Response,  # type: ignore[assignment]
) -> R:
    """The one "304 or build" of the app: a 304 when the client's copy is current, else
    ``build()`` with validators. ``build`` is not called for a 304."""
    if is_fresh(etag, req):
        return with_validators(response_class(status=304), etag, cache_control)
    return with_validators(build(), etag, cache_control, last_modified)


def compressor(app: Flask) -> Compress:
    """The app's Flask-Compress (its ``after_request`` compresses a response as Flask does)."""
    compress: Compress = app.extensions[COMPRESSOR]
    return compress


def init_http(app: Flask) -> None:
    """gzip/brotli for text formats (flask-compress) and CORS for GET on public APIs."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSIBLE)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 800)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.extensions[COMPRESSOR] = Compress(app)

    @app.after_request
    def _cors(response: Response) -> Response:
        if request.method in {"GET", "HEAD", "OPTIONS"} and request.path.startswith(CORS_PREFIXES):
            response.headers.update(CORS_HEADERS)
        return response
