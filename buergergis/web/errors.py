"""The one place where exceptions become HTTP responses.

One table (:func:`problem_of`) turns every exception into a :class:`Problem` — status, code,
German message a person understands (and its English version where the error has one),
optional details and ``Retry-After``. The area of the request only decides the representation
(:func:`representation`): the one JSON error body ``{"code", "description"[, "details"]}`` for
APIs, the staff error page under ``/admin``, the citizen error page for other HTML pages. With
``lang=en`` citizen pages and JSON bodies carry the English message (:func:`in_english`).
Database outages are 503 with ``Retry-After`` and are logged once when the database goes away
and once when it is back (:mod:`buergergis.db.health`), never as a traceback per request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from buergergis.db.health import OUTAGE
from buergergis.errors import BuergerGISError, DatabaseUnavailable, InvalidParameter, QueryTimeout
from buergergis.ows.exceptions import exception_report, is_ows_path

log = logging.getLogger("buergergis.errors")

#: German messages of plain HTTP errors, per area (``""`` is the default of every area).
MESSAGES: dict[tuple[str, int], str] = {
    ("", 400): "Ungültige Anfrage.",
    ("", 401): "Anmeldung erforderlich.",
    ("", 403): "Keine Berechtigung.",
    ("", 404): "Nicht gefunden.",
    ("", 405): "Diese Aktion ist hier nicht möglich.",
    ("", 406): "Das angefragte Format wird nicht angeboten.",
    ("", 413): "Die Datei ist zu groß (höchstens {max_mb} MB erlaubt).",
    ("", 414): "Die Adresse (URL) ist zu lang.",
    ("", 429): "Zu viele Anfragen von Ihrem Anschluss. Bitte versuchen Sie es später erneut.",
    ("admin", 403): "Keine Berechtigung für diese Seite.",
    ("admin", 429): "Zu viele Anmeldeversuche. Bitte eine Minute warten.",
}
CSRF_MESSAGE = (
    "Das Formular ist abgelaufen oder unvollständig (CSRF-Schutz). "
    "Bitte die Seite neu laden und erneut senden."
)
CSRF_MESSAGE_EN = (
    "The form has expired or is incomplete (CSRF protection). "
    "Please reload the page and send it again."
)
SERVER_ERROR = "Interner Fehler. Bitte später erneut versuchen."
SERVER_ERROR_EN = "Internal error. Please try again later."
#: Seconds a client should wait after a 503 before it tries again.
RETRY_AFTER = 5
#: Paths whose errors are always JSON (APIs, feeds, tiles, machine endpoints).
JSON_PREFIXES = ("/admin/api", "/tiles", "/search", "/oembed", "/feeds", "/healthz", "/readyz")
JSON_SUFFIXES = (".json", ".atom", "/offen", ".mvt", ".pbf", ".png", ".webp")


@dataclass(frozen=True)
class Problem:
    """What the client is told: status, code, German message, details, extra headers, and the
    English message where there is one (``description_en``)."""

    status: int
    code: str
    description: str
    details: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    description_en: str | None = None

    def message(self, english: bool) -> str:
        """The message to show: English when asked for and known, else German."""
        return (self.description_en if english else None) or self.description


def area() -> str:
    """``admin`` for the staff area, else ``""`` (the citizen and API area)."""
    return "admin" if request.path.startswith("/admin") else ""


def http_message(status: int) -> str:
    """The German message of a plain HTTP status in the current area."""
    text = MESSAGES.get((area(), status)) or MESSAGES.get(("", status)) or "Fehler."
    return text.format(max_mb=current_app.config.get("MAX_CONTENT_LENGTH", 0) // (1024 * 1024))


def problem_of(exc: BaseException) -> Problem:
    """The one exception → HTTP table."""
    if isinstance(exc, BuergerGISError):
        return _domain(exc)
    if isinstance(exc, CSRFError):
        return Problem(400, "CSRFError", CSRF_MESSAGE, description_en=CSRF_MESSAGE_EN)
    if isinstance(exc, HTTPException):
        return _http(exc)
    database = _database(exc)
    if database is not None:
        return database
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return Problem(500, "ServerError", SERVER_ERROR, description_en=SERVER_ERROR_EN)


def _domain(exc: BuergerGISError) -> Problem:
    headers = {"Retry-After": str(RETRY_AFTER)} if exc.status == 503 else {}
    if exc.status == 401 and area() == "admin":
        headers["WWW-Authenticate"] = 'Bearer realm="BuergerGIS"'
    if isinstance(exc, DatabaseUnavailable):
        OUTAGE.down(exc.__cause__ or exc)
    return Problem(
        exc.status, exc.code, exc.description, exc.details or None, headers, exc.description_en
    )


def _http(exc: HTTPException) -> Problem:
    status = exc.code or 500
    # Headers the exception carries (Allow on 405, Content-Range on 416, WWW-Authenticate …).
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    allowed = getattr(exc, "valid_methods", None)
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(sorted(allowed))
    if status == 429:
        headers["Retry-After"] = "60"
    # Werkzeug's own English text, unless a view gave the exception a text of its own.
    english = exc.description if exc.description == type(exc).description else None
    return Problem(status, type(exc).__name__, http_message(status), None, headers, english)


def _database(exc: BaseException) -> Problem | None:
    """Outages and timeouts (503), values PostgreSQL refused (400); ``None`` for the rest."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, psycopg.errors.QueryCanceled):
        return _domain(QueryTimeout())
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return _domain(DatabaseUnavailable())
    if isinstance(orig, psycopg.errors.DataError):
        log.warning("value refused by the database on %s: %s", request.path, type(orig).__name__)
        return _domain(InvalidParameter("Ein Wert der Anfrage ist ungültig."))
    return None


def wants_json() -> bool:
    """Whether the error of this request is sent as the JSON body (else as an HTML page)."""
    path = request.path
    if path.startswith(JSON_PREFIXES) or path.endswith(JSON_SUFFIXES):
        return True
    if path.startswith("/ogc"):
        return request.args.get("f") != "html"
    if path.startswith("/admin"):
        return False
    # Pages: a browser (it accepts HTML) gets the citizen error page, a bare client JSON.
    accept = request.accept_mimetypes
    return not accept or not accept.accept_html or accept.best == "application/json"


def in_english() -> bool:
    """Whether the request asked for English (``lang=en``, as every citizen page keeps it)."""
    return request.args.get("lang") == "en"


def error_response(
    status: int, code: str, description: str, details: dict | None = None
) -> Response:
    """The one JSON error body: ``{"code", "description"[, "details"]}``."""
    body: dict = {"code": code, "description": description}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def representation(problem: Problem) -> Response:
    """The problem as JSON, as the area's HTML page, or as an OGC exception (WMS/WMTS/CSW)."""
    if is_ows_path(request.path):
        body, media_type = exception_report(request.path, problem.code, problem.description)
        response = Response(body, status=problem.status, mimetype=media_type)
        response.headers["Cache-Control"] = "no-store"
    elif wants_json():
        description = problem.message(in_english() and area() != "admin")
        response = error_response(problem.status, problem.code, description, problem.details)
    else:
        citizen = area() != "admin"
        html = render_template(
            "error.html" if citizen else "admin/error.html", status=problem.status,
            description=problem.message(citizen and in_english()), details=problem.details,
        )  # fmt: skip
        response = Response(html, status=problem.status, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = ERROR_PAGE_CSP
    response.headers.update(problem.headers)
    return response


#: Error pages load only this server's CSS; nothing else.
ERROR_PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


def handle(exc: BaseException) -> Response:
    """Flask error handler: the one path from any exception to a response."""
    return representation(problem_of(exc))


def register_error_handlers(app: Flask) -> None:
    """Register :func:`handle` once, for every exception."""
    app.register_error_handler(Exception, handle)
