"""The one place where exceptions become HTTP responses (one JSON error body)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from buergergis.errors import BuergerGISError, Unavailable

log = logging.getLogger("buergergis.errors")

_HTTP_MESSAGES = {
    400: "Ungültige Anfrage.",
    401: "Anmeldung erforderlich.",
    403: "Keine Berechtigung.",
    404: "Nicht gefunden.",
    405: "Methode nicht erlaubt.",
    406: "Das angefragte Format wird nicht angeboten.",
    413: "Die Datei ist zu groß.",
    429: "Zu viele Anfragen – bitte später erneut versuchen.",
}


def error_response(
    status: int, code: str, description: str, details: dict | None = None
) -> Response:
    """Build the one JSON error body: ``{"code", "description"[, "details"]}``."""
    body: dict = {"code": code, "description": description}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    """Map the exception hierarchy, HTTP errors and database outages to the JSON body."""

    @app.errorhandler(BuergerGISError)
    def _domain(exc: BuergerGISError) -> Response:
        return error_response(exc.status, exc.code, exc.description, exc.details or None)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        description = _HTTP_MESSAGES.get(status, exc.description or "Fehler.")
        return error_response(status, type(exc).__name__, description)

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError) -> Response:
        log.warning("database unavailable: %s", exc)
        err = Unavailable(
            "Die Datenbank ist gerade nicht erreichbar. Bitte später erneut versuchen."
        )
        return error_response(err.status, err.code, err.description)

    @app.errorhandler(DBAPIError)
    def _db_error(exc: DBAPIError) -> Response:
        if "statement timeout" in str(exc.orig):
            return error_response(503, "Timeout", "Die Anfrage hat zu lange gedauert.")
        log.exception("database error on %s", request.path)
        return error_response(500, "ServerError", "Interner Fehler. Bitte später erneut versuchen.")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "ServerError", "Interner Fehler. Bitte später erneut versuchen.")
