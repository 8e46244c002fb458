"""Embedding: the ``<iframe>`` snippet for hameln.de and the oEmbed response (oembed.com).

A map URL (``/embed?…`` or the city map ``/?…``) of this service is turned into an iframe of
``/embed`` with the same view. The snippet is built with ``markupsafe.escape`` for every
attribute; the oEmbed answer exists as JSON and as XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from markupsafe import escape

from buergergis.errors import InvalidParameter, NotFound
from buergergis.maps.view import MapView, parse_view, query_string

DEFAULT_WIDTH = 600
DEFAULT_HEIGHT = 450
MIN_SIZE, MAX_SIZE = 150, 4000
_WIDTH = re.compile(r"^(?:[1-9][0-9]{0,3}|100%|[1-9][0-9]?%)$")


@dataclass(frozen=True)
class Frame:
    """An iframe of ``/embed`` at a view, with a title and a size."""

    src: str
    title: str
    width: str  # pixels ("600") or percent ("100%")
    height: int

    def html(self) -> str:
        """The snippet to paste into a web page (every attribute escaped)."""
        width = escape(self.width)
        return (
            f'<iframe src="{escape(self.src)}" title="{escape(self.title)}" '
            f'width="{width}" height="{self.height}" style="border:0;max-width:100%" '
            f'loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>'
        )


def base_url(configured: str | None, request_root: str) -> str:
    """Where snippets point: the configured ``BUERGERGIS_PUBLIC_URL``, else the address the
    request came in on (never a built-in ``127.0.0.1:5000``); without a trailing slash."""
    return (configured or request_root).rstrip("/")


def ancestors_list(frame_ancestors: str) -> list[str]:
    """The sites of a CSP ``frame-ancestors`` value in words for the builder ('self' → "")."""
    return [s for s in frame_ancestors.split() if s not in {"'self'", "'none'"}]


def embed_src(public_url: str, view: MapView) -> str:
    """Absolute ``/embed`` URL of a view (without the feature selection)."""
    query = query_string(view.query(feature=None))
    return f"{public_url.rstrip('/')}/embed" + (f"?{query}" if query else "")


def parse_width(value: str | None, default: str = str(DEFAULT_WIDTH)) -> str:
    """Pixels (1…9999) or a percentage (1…100%)."""
    if not value:
        return default
    value = value.strip()
    if not _WIDTH.match(value):
        raise InvalidParameter("Parameter 'width': Pixel (z. B. 600) oder Prozent (z. B. 100%).")
    return value


def parse_size(value: str | None, name: str, default: int) -> int:
    """A pixel size between :data:`MIN_SIZE` and :data:`MAX_SIZE`."""
    if not value:
        return default
    try:
        size = int(value)
    except ValueError:
        size = -1
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise InvalidParameter(f"Parameter '{name}': erwartet Pixel von {MIN_SIZE} bis {MAX_SIZE}.")
    return size


def parse_max(value: str | None, name: str) -> int | None:
    """oEmbed ``maxwidth``/``maxheight``: absent, or a pixel size."""
    return parse_size(value, name, 0) if value else None


def view_from_url(url: str, public_url: str, request_host: str) -> MapView:
    """The view of a map URL of this service (404 for other sites or paths)."""
    parts = urlsplit(url.strip())
    hosts = {urlsplit(public_url).netloc, request_host}
    if parts.scheme not in {"http", "https"} or parts.netloc not in hosts:
        raise NotFound("Für diese Adresse gibt es keine Einbettung (nur Karten dieses Dienstes).")
    if parts.path.rstrip("/") not in {"", "/embed"}:
        raise NotFound("Einbetten lassen sich die Stadtkarte (/) und /embed.")
    return parse_view(dict(parse_qsl(parts.query)))


def oembed(
    frame: Frame,
    provider_name: str,
    provider_url: str,
    max_width: int | None,
    max_height: int | None,
) -> dict[str, object]:
    """The oEmbed ``rich`` response; sizes respect ``maxwidth``/``maxheight``."""
    width = DEFAULT_WIDTH if frame.width.endswith("%") else int(frame.width)
    width = min(width, max_width) if max_width else width
    height = min(frame.height, max_height) if max_height else frame.height
    sized = Frame(frame.src, frame.title, str(width), height)
    return {
        "version": "1.0",
        "type": "rich",
        "title": frame.title,
        "provider_name": provider_name,
        "provider_url": provider_url,
        "html": sized.html(),
        "width": width,
        "height": height,
    }


def oembed_xml(data: Mapping[str, object]) -> bytes:
    """The oEmbed response as XML (``<oembed>…</oembed>``)."""
    root = ET.Element("oembed")
    for key, value in data.items():
        ET.SubElement(root, key).text = str(value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
