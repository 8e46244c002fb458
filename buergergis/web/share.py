"""Share links with QR codes: ``/teilen`` (page), ``/teilen.json``, ``/teilen.svg``, ``/teilen.png``.

Every route takes ``url`` — a page of this service — and works on the canonical link that
:func:`buergergis.maps.share.share_link` rebuilds from it; other sites are a 404, so the
QR routes never encode an address of someone else.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from buergergis.maps import csp, share
from buergergis.maps.embed import base_url
from buergergis.maps.i18n import texts
from buergergis.web import state

bp = Blueprint("share", __name__)

#: QR codes depend only on the link: clients and proxies may keep them for a day.
CACHE_CONTROL = "public, max-age=86400"


@bp.app_template_global("share_texts")
def share_texts(lang: str) -> dict[str, str]:
    """Texts of the share dialog for a page template (``share_texts(lang)``)."""
    return share.TEXTS["en" if lang == "en" else "de"]


def _link() -> str:
    s = state().settings
    public_url = base_url(
        s.public_url if "public_url" in s.model_fields_set else None, request.host_url
    )
    return share.share_link(request.args.get("url"), public_url, request.host)


def _routes(link: str) -> dict[str, str]:
    query = urlencode({"url": link})
    return {
        "url": link,
        "page": f"/teilen?{query}",
        "svg": f"/teilen.svg?{query}",
        "png": f"/teilen.png?{query}",
    }


def _image(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/teilen")
def share_page() -> Response:
    """The link and its QR code as a page (the share button without JavaScript)."""
    link = _link()
    lang = share.link_lang(link)
    body = render_template(
        "maps/share.html",
        lang=lang,
        s=share.TEXTS[lang],
        t=texts(lang),  # type: ignore[arg-type]
        routes=_routes(link),
    )
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = csp.policy(frame_ancestors="'self'")
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/teilen.json")
def share_json() -> Response:
    """``{"url": …, "page": …, "svg": …, "png": …}`` for the share dialog of the map."""
    body = json.dumps(_routes(_link()), ensure_ascii=False)
    return Response(body, mimetype="application/json")


@bp.get("/teilen.svg")
def share_svg() -> Response:
    """The QR code of the canonical link as SVG (``download=1``: as a file)."""
    link = _link()
    title = share.TEXTS[share.link_lang(link)]["qr_alt"]
    return _image(share.qr_svg(link, title), "image/svg+xml", "hameln-qr.svg")


@bp.get("/teilen.png")
def share_png() -> Response:
    """The QR code as PNG; ``scale`` pixels per module (1…40, default 8)."""
    scale = share.parse_scale(request.args.get("scale"))
    return _image(share.qr_png(_link(), scale), "image/png", "hameln-qr.png")
