"""HTTP validators, caching headers and CORS — one mechanism for features, tiles and maps.

ETags are derived from the layer versions a response depends on plus the normalised
request, so a reload (new, never reused version number) changes every validator at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from flask import Flask, Response, request
from flask_compress import Compress

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
CORS_PREFIXES = ("/ogc", "/tiles", "/search", "/static", "/oembed", "/feeds")


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


def not_modified(etag: str, cache_control: str) -> Response | None:
    """A 304 response when ``If-None-Match`` matches ``etag`` (weak comparison)."""
    if request.if_none_match.contains_weak(etag) or request.if_none_match.star_tag:
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = cache_control
        response.vary.add("Accept")
        return response
    return None


def with_validators(
    response: Response, etag: str, cache_control: str, last_modified: datetime | None = None
) -> Response:
    """Set ETag, Last-Modified, Cache-Control and Vary on a fresh response."""
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept")
    return response


def init_http(app: Flask) -> None:
    """gzip/brotli for text formats (flask-compress) and CORS for GET on public APIs."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSIBLE)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 800)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)

    @app.after_request
    def _cors(response: Response) -> Response:
        if request.method in {"GET", "HEAD", "OPTIONS"} and request.path.startswith(CORS_PREFIXES):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = (
                "ETag, Content-Crs, Link, Last-Modified"
            )
        return response
