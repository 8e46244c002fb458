"""``/static/…``: the project's own CSS/JS and the vendored npm packages, long-cached.

Text assets are compressed once per file version (path + mtime) and kept in memory, so
Leaflet & co. go out gzip/brotli-compressed without compressing on every request.
"""

from __future__ import annotations

import gzip
import mimetypes
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Blueprint, Response, request, send_from_directory
from werkzeug.security import safe_join

from buergergis.errors import NotFound
from buergergis.web import state

bp = Blueprint("static_files", __name__)

COMPRESSIBLE_SUFFIXES = {".js", ".css", ".svg", ".json", ".html", ".map", ".txt"}
MAX_AGE = 86400


@bp.get("/static/<path:filename>")
def static_file(filename: str) -> Response:
    """Serve a file below ``<root>/static`` (404 for anything else)."""
    root = state().settings.root / "static"
    path = safe_join(str(root), filename)
    if path is None or not Path(path).is_file():
        raise NotFound("Datei nicht gefunden.")
    encoding = _accepted_encoding()
    if Path(path).suffix.lower() in COMPRESSIBLE_SUFFIXES and encoding:
        response = _compressed_response(Path(path), encoding)
    else:
        response = send_from_directory(root, filename, max_age=MAX_AGE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Encoding")
    return response


def _accepted_encoding() -> str | None:
    accepted = request.accept_encodings
    if accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def _compressed_response(path: Path, encoding: str) -> Response:
    stat = path.stat()
    body = _compress(str(path), stat.st_mtime_ns, encoding)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Encoding"] = encoding
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.set_etag(f"{stat.st_mtime_ns:x}-{stat.st_size:x}-{encoding}")
    response.last_modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    response.make_conditional(request)
    return response


@lru_cache(maxsize=256)
def _compress(path: str, mtime_ns: int, encoding: str) -> bytes:
    """Compressed bytes of one file version (``mtime_ns`` is part of the cache key)."""
    data = Path(path).read_bytes()
    if encoding == "br":
        return bytes(brotli.compress(data, quality=9))
    return gzip.compress(data, compresslevel=9, mtime=0)
