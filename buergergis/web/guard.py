"""The first check of every request: control characters no part of BürgerGIS accepts.

A NUL byte is never meaningful in a path, a query parameter, a form field or a JSON string,
and PostgreSQL refuses it in text. Refusing it once, before any view runs, gives one clear
400 instead of a traceback in whichever view happens to pass it on.
"""

from __future__ import annotations

from flask import Flask, request

from buergergis.errors import InvalidParameter

NUL_MESSAGE = "Die Anfrage enthält ein unzulässiges Steuerzeichen (NUL). Bitte Eingabe prüfen."
#: Bodies up to this size are checked for JSON ``\\u0000`` escapes.
JSON_CHECK_LIMIT = 4 * 1024 * 1024


def _has_nul(values: list[str]) -> bool:
    return any("\x00" in value for value in values)


def check_request() -> None:
    """Raise :class:`InvalidParameter` when the request carries a NUL anywhere we read."""
    if "\x00" in request.path or "%00" in request.query_string.decode("latin-1").lower():
        raise InvalidParameter(NUL_MESSAGE)
    args = [*request.args.keys(), *(v for _k, v in request.args.items(multi=True))]
    if _has_nul(args):
        raise InvalidParameter(NUL_MESSAGE)
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        fields = [*request.form.keys(), *(v for _k, v in request.form.items(multi=True))]
        names = [f.filename or "" for f in request.files.values()]
        if _has_nul(fields) or _has_nul(names):
            raise InvalidParameter(NUL_MESSAGE)
    elif request.is_json and (request.content_length or 0) <= JSON_CHECK_LIMIT:
        raw = request.get_data(cache=True)
        if b"\x00" in raw or b"\\u0000" in raw.lower():
            raise InvalidParameter(NUL_MESSAGE)


def init_guard(app: Flask) -> None:
    """Run :func:`check_request` before every request of ``app``."""
    app.before_request(check_request)
