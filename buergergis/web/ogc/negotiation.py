"""Representation and language: ``f=`` wins over the ``Accept`` header; ``lang=en`` for English."""

from __future__ import annotations

from flask import request

from buergergis.errors import InvalidParameter, NotAcceptable

MEDIA_TYPES = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "html": "text/html",
    "schema": "application/schema+json",
    "openapi": "application/vnd.oai.openapi+json;version=3.0",
}
_ALIASES = {
    "application/json": "json",
    "application/geo+json": "geojson",
    "text/html": "html",
    "application/schema+json": "schema",
    "application/vnd.oai.openapi+json;version=3.0": "openapi",
}
LANGUAGES = ("de", "en")


def negotiate(offered: tuple[str, ...]) -> str:
    """The chosen format key among ``offered`` (the first one is the default).

    ``f=json`` is accepted wherever a JSON-based format (GeoJSON, JSON Schema, OpenAPI) is
    offered.
    """
    value = request.args.get("f")
    if value is not None:
        return _from_parameter(value, offered)
    accept = request.accept_mimetypes
    if not accept:
        return offered[0]
    types = {MEDIA_TYPES[key]: key for key in offered}
    if "json" not in offered and offered[0] != "html":
        types.setdefault("application/json", offered[0])
    best = accept.best_match(list(types))
    if best is None:
        raise NotAcceptable(
            "Keines der im Accept-Header genannten Formate wird angeboten. Möglich: "
            + ", ".join(MEDIA_TYPES[k] for k in offered)
        )
    return types[best]


def _from_parameter(value: str, offered: tuple[str, ...]) -> str:
    key = _ALIASES.get(value.lower(), value.lower())
    if key not in offered and key == "json":
        json_like = [k for k in offered if k != "html"]
        if json_like:
            return json_like[0]
    if key not in offered:
        choices = ", ".join(sorted({*offered, *(["json"] if len(offered) > 1 else [])}))
        raise InvalidParameter(f"f={value} wird hier nicht angeboten. Möglich: {choices}")
    return key


def language() -> str:
    """``de`` (default) or ``en`` from ``lang=``."""
    value = request.args.get("lang")
    if value is None:
        return "de"
    code = value.strip().lower()[:2]
    if code not in LANGUAGES:
        raise InvalidParameter(f"lang={value} wird nicht angeboten. Möglich: de, en")
    return code
