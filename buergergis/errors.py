"""One exception hierarchy for BürgerGIS, mapped to HTTP in exactly one place.

Every error carries an HTTP status, a machine-readable ``code`` and a message a person
understands – German, and where citizens meet the error also English (``description_en``;
``web/errors.py`` picks it for pages in English and for requests with ``lang=en``). The JSON
body is always ``{"code": ..., "description": ...}`` (the OGC API exception shape), optionally
with ``details``.
"""

from __future__ import annotations

from typing import Any


class BuergerGISError(Exception):
    """Base class: ``status`` and ``code`` are class defaults, the message is user-safe."""

    status: int = 500
    code: str = "ServerError"

    def __init__(
        self,
        description: str,
        *,
        details: dict[str, Any] | None = None,
        description_en: str | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.description_en = description_en
        self.details = details or {}

    def message(self, lang: str) -> str:
        """The message in ``lang``: English where one was given, else German."""
        return (self.description_en if lang == "en" else None) or self.description

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error body."""
        body: dict[str, Any] = {"code": self.code, "description": self.description}
        if self.details:
            body["details"] = self.details
        return body


class InvalidParameter(BuergerGISError):
    """A request parameter is malformed or not allowed (400)."""

    status = 400
    code = "InvalidParameterValue"


class NotFound(BuergerGISError):
    """The resource does not exist, or is not visible to the requester (404)."""

    status = 404
    code = "NotFound"


class NotAcceptable(BuergerGISError):
    """No representation matches ``f=``/Accept (406)."""

    status = 406
    code = "NotAcceptable"


class Unauthorized(BuergerGISError):
    """Authentication required (401)."""

    status = 401
    code = "Unauthorized"


class Forbidden(BuergerGISError):
    """Authenticated, but the role does not allow this (403)."""

    status = 403
    code = "Forbidden"


class Conflict(BuergerGISError):
    """The request conflicts with the current state (409)."""

    status = 409
    code = "Conflict"


class PayloadTooLarge(BuergerGISError):
    """An upload exceeds the configured size (413)."""

    status = 413
    code = "PayloadTooLarge"


class Unavailable(BuergerGISError):
    """A dependency (the database) is not reachable (503)."""

    status = 503
    code = "ServiceUnavailable"


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached (503 with ``Retry-After``)."""

    def __init__(
        self,
        description: str = "Die Datenbank ist gerade nicht erreichbar. Bitte später erneut versuchen.",
    ) -> None:
        super().__init__(
            description,
            description_en="The database cannot be reached right now. Please try again later.",
        )


class QueryTimeout(Unavailable):
    """A query ran into the statement timeout (503 with ``Retry-After``)."""

    code = "Timeout"

    default = "Die Anfrage hat zu lange gedauert."

    def __init__(self, description: str = default) -> None:
        english = "The request took too long." if description == self.default else None
        super().__init__(description, description_en=english)


class DefinitionError(BuergerGISError):
    """A layer definition is invalid; the message names the file and the field."""

    status = 400
    code = "InvalidLayerDefinition"


class LoadError(BuergerGISError):
    """A source could not be loaded; the previous version stays live."""

    status = 422
    code = "LoadFailed"


class ClusterError(BuergerGISError):
    """The private PostgreSQL cluster could not be set up or started."""

    status = 503
    code = "ClusterError"


class TooManyRequests(BuergerGISError):
    """A per-address limit is used up (429); counted in PostgreSQL across all workers."""

    status = 429
    code = "TooManyRequests"
