"""Share links and their QR codes: only addresses of this service, rebuilt from validated parts.

A QR code printed on a sign in the city forest must open the lot on a phone, and the QR route
must never become a QR generator for other sites. So :func:`share_link` accepts a URL of this
service only (relative, or absolute on the public or the request host), and rebuilds it from
validated parameters: the map views ``/`` and ``/embed`` through :func:`maps.view.parse_view`,
list pages ``/liste/<layer>`` with ``lang`` and ``fid``. The result is an absolute URL on
``BUERGERGIS_PUBLIC_URL`` (else the request host) — the exact text the QR code encodes.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl, quote, urlsplit

import segno

from buergergis.catalog.models import ID_MAX_LENGTH, ID_PATTERN
from buergergis.errors import InvalidParameter, NotFound
from buergergis.maps.view import parse_lang, parse_view, query_string

#: Longest share URL accepted (a QR code of this length still scans from a printed sign).
MAX_URL = 1000
#: PNG module size in pixels: default and limits.
DEFAULT_SCALE = 8
MAX_SCALE = 40
_LIST = re.compile(r"^/liste/([^/]+)$")
_ID = re.compile(ID_PATTERN)


def share_link(url: str | None, public_url: str, request_host: str) -> str:
    """The canonical absolute URL of a page of this service that ``url`` names.

    Raises :class:`InvalidParameter` for a missing or too long URL and :class:`NotFound` for
    other sites or pages that cannot be shared.
    """
    if not url or not url.strip():
        raise InvalidParameter("Parameter 'url' fehlt: die Adresse einer Karte dieses Dienstes.")
    if len(url) > MAX_URL:
        raise InvalidParameter(f"Parameter 'url': höchstens {MAX_URL} Zeichen.")
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. "http://[" (a broken IPv6 host)
        raise NotFound("Teilen lassen sich nur Seiten dieses Dienstes.") from None
    if parts.scheme or parts.netloc:
        hosts = {urlsplit(public_url).netloc, request_host}
        if parts.scheme not in {"http", "https"} or parts.netloc not in hosts:
            raise NotFound("Teilen lassen sich nur Seiten dieses Dienstes.")
    elif not parts.path.startswith("/"):
        raise NotFound("Teilen lassen sich nur Seiten dieses Dienstes.")
    base = public_url.rstrip("/")
    args = dict(parse_qsl(parts.query))
    path = parts.path.rstrip("/") or "/"
    if path in {"/", "/embed"}:
        query = query_string(parse_view(args).query())
        return f"{base}{path}" + (f"?{query}" if query else "")
    found = _LIST.match(path)
    if found:
        return _list_link(base, found.group(1), args)
    raise NotFound("Teilen lassen sich die Stadtkarte (/), /embed und die Listen (/liste/…).")


def _list_link(base: str, layer_id: str, args: dict[str, str]) -> str:
    if len(layer_id) > ID_MAX_LENGTH or not _ID.match(layer_id):
        raise NotFound("Diese Liste gibt es nicht.")
    params: dict[str, str] = {}
    lang = parse_lang(args.get("lang"))
    if lang != "de":
        params["lang"] = lang
    fid = args.get("fid", "")
    if fid:
        if len(fid) > 200:
            raise InvalidParameter("Parameter 'fid': höchstens 200 Zeichen.")
        params["fid"] = fid
    query = query_string(params)
    return f"{base}/liste/{quote(layer_id)}" + (f"?{query}" if query else "")


def parse_scale(value: str | None) -> int:
    """Pixels per QR module of the PNG: 1 … :data:`MAX_SCALE` (default :data:`DEFAULT_SCALE`)."""
    if not value:
        return DEFAULT_SCALE
    try:
        scale = int(value)
    except ValueError:
        scale = 0
    if not 1 <= scale <= MAX_SCALE:
        raise InvalidParameter(
            f"Parameter 'scale': erwartet eine ganze Zahl von 1 bis {MAX_SCALE}."
        )
    return scale


def _qr(link: str) -> segno.QRCode:
    # error level M, raised by segno when the same symbol size allows more (boost_error)
    return segno.make_qr(link, error="m", boost_error=True)


def qr_svg(link: str, title: str) -> bytes:
    """The QR code of ``link`` as a scalable SVG (black on white, quiet zone of 4 modules)."""
    out = io.BytesIO()
    _qr(link).save(
        out, kind="svg", scale=4, border=4, dark="#000", light="#fff", title=title, unit=None
    )
    return out.getvalue()


def qr_png(link: str, scale: int = DEFAULT_SCALE) -> bytes:
    """The QR code of ``link`` as a PNG with ``scale`` pixels per module."""
    out = io.BytesIO()
    _qr(link).save(out, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    return out.getvalue()


#: Texts of the share dialog and the share page (German and English).
TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "share": "Teilen",
        "share_view": "Kartenansicht teilen",
        "share_feature": "Dieses Objekt teilen",
        "title": "Link und QR-Code",
        "link": "Link",
        "copy": "Link kopieren",
        "copied": "Link kopiert.",
        "copy_failed": "Kopieren nicht möglich – bitte den Link markieren und kopieren.",
        "native": "Über das Gerät teilen …",
        "qr_alt": "QR-Code für diesen Link",
        "qr_hint": "Mit der Handykamera scannen – der Link öffnet die Karte an dieser Stelle.",
        "download_svg": "QR-Code als SVG (für den Druck)",
        "download_png": "QR-Code als PNG",
        "open": "Link öffnen",
        "close": "Schließen",
        "back": "Zurück zur Karte",
    },
    "en": {
        "share": "Share",
        "share_view": "Share this map view",
        "share_feature": "Share this item",
        "title": "Link and QR code",
        "link": "Link",
        "copy": "Copy link",
        "copied": "Link copied.",
        "copy_failed": "Copying is not possible – please select and copy the link.",
        "native": "Share with your device …",
        "qr_alt": "QR code for this link",
        "qr_hint": "Scan with a phone camera – the link opens the map at this place.",
        "download_svg": "QR code as SVG (for printing)",
        "download_png": "QR code as PNG",
        "open": "Open link",
        "close": "Close",
        "back": "Back to the map",
    },
}


def link_lang(link: str) -> str:
    """The language of a canonical share link (``en`` when it carries ``lang=en``)."""
    return "en" if dict(parse_qsl(urlsplit(link).query)).get("lang") == "en" else "de"
