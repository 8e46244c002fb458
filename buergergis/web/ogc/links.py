"""Absolute links of ``/ogc`` (self, alternate, paging) and licence URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from buergergis.web.ogc.negotiation import MEDIA_TYPES

Link = dict[str, Any]

LICENCE_URLS = {
    "dl-de/by-2-0": "https://www.govdata.de/dl-de/by-2-0",
    "dl-de/zero-2-0": "https://www.govdata.de/dl-de/zero-2-0",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odbl-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}
_FORMAT_TITLES = {
    "json": ("als JSON", "as JSON"),
    "geojson": ("als GeoJSON", "as GeoJSON"),
    "html": ("als Webseite", "as web page"),
    "schema": ("als JSON Schema", "as JSON Schema"),
    "openapi": ("als OpenAPI-Dokument", "as OpenAPI document"),
}


def base_url() -> str:
    """``http(s)://host[/script-root]/ogc`` of the current request."""
    return request.url_root.rstrip("/") + "/ogc"


def root_url() -> str:
    """The site root (for ``/static``)."""
    return request.url_root.rstrip("/")


def url(path: str, **params: Any) -> str:
    """An absolute ``/ogc`` URL with query parameters (``None`` values are left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return base_url() + path + (f"?{query}" if query else "")


def current(**changes: Any) -> str:
    """The current URL with some parameters replaced (``None`` removes one)."""
    args = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: v for k, v in changes.items() if v is not None})
    query = urlencode(args)
    return request.base_url + (f"?{query}" if query else "")


def link(href: str, rel: str, media: str | None = None, title: str | None = None) -> Link:
    """One link object."""
    result: Link = {"href": href, "rel": rel}
    if media:
        result["type"] = MEDIA_TYPES.get(media, media)
    if title:
        result["title"] = title
    return result


def format_links(chosen: str, offered: tuple[str, ...], lang: str) -> list[Link]:
    """``self`` for the chosen representation and ``alternate`` for the others."""
    index = 1 if lang == "en" else 0
    links = []
    for key in offered:
        rel = "self" if key == chosen else "alternate"
        title = _FORMAT_TITLES[key][index]
        links.append(link(current(f=key), rel, key, title))
    return links


def licence_url(licence: str) -> str | None:
    """A URL for a licence name (or the licence itself when it is a URL)."""
    if licence.startswith(("http://", "https://")):
        return licence
    return LICENCE_URLS.get(licence.strip().lower())
