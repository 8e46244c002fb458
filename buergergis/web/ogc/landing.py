"""``/ogc/`` (landing page) and ``/ogc/conformance``."""

from __future__ import annotations

from flask import Response

from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, json_response
from buergergis.web.ogc.conformance import conforms_to, landing_links
from buergergis.web.ogc.html import TEXTS, render
from buergergis.web.ogc.links import Link, base_url, format_links, link, url
from buergergis.web.ogc.negotiation import language, negotiate
from buergergis.web.ogc.params import COMMON, check_known

OFFERED = ("json", "html")


def landing_document(fmt: str, lang: str) -> dict:
    """The landing page as JSON."""
    t = TEXTS[lang]
    links: list[Link] = [
        *format_links(fmt, OFFERED, lang),
        link(url("/api", f="json"), "service-desc", "openapi", t["api"]),
        link(url("/api", f="html"), "service-doc", "html", t["api"]),
        link(url("/conformance"), "conformance", "json", t["conformance"]),
        link(url("/collections"), "data", "json", t["collections"]),
        *landing_links(base_url()),
    ]
    return {"title": t["service"], "description": t["intro"], "links": links}


@bp.get("/")
def landing() -> Response:
    """Landing page with links to the API definition, conformance and collections."""
    check_known(COMMON)
    fmt, lang = negotiate(OFFERED), language()
    doc = landing_document(fmt, lang)
    if fmt == "html":
        return cached([], lambda: render("landing.html", lang, doc=doc), doc)
    return cached([], lambda: json_response(doc), doc)


@bp.get("/conformance")
def conformance() -> Response:
    """The conformance classes this API implements (and tests)."""
    check_known(COMMON)
    fmt, lang = negotiate(OFFERED), language()
    classes = conforms_to()
    if fmt == "html":
        return cached([], lambda: render("conformance.html", lang, classes=classes), classes)
    doc = {"links": format_links(fmt, OFFERED, lang), "conformsTo": classes}
    return cached([], lambda: json_response(doc), classes)
