"""The PDF of „Mein Ort": WeasyPrint renders the very HTML of the print view.

Only this server's own static files are read (CSS below ``static/``); every other URL –
another host, ``file:``, ``data:`` beyond what the page holds – is refused, so a PDF never
makes a network request. The page footer (``static/services/place.css``, ``@page``) repeats
the note that this is no official information.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The base URL the HTML is rendered against; only ``/static/…`` below it is served.
BASE_URL = "https://buergergis.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
MEDIA_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def _fetcher(static_root: Path) -> Any:
    """A WeasyPrint URL fetcher that serves ``static/`` files and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_root.resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if not url.startswith(STATIC_PREFIX):
                raise ValueError(f"Für das PDF werden keine fremden Adressen geladen: {url[:80]}")
            path = (root / url[len(STATIC_PREFIX) :].split("?", 1)[0]).resolve()
            if (
                not path.is_relative_to(root)
                or path.suffix not in MEDIA_TYPES
                or not path.is_file()
            ):
                raise ValueError(f"Nicht erlaubt: {url[:80]}")
            return URLFetcherResponse(
                url, path.read_bytes(), headers={"Content-Type": MEDIA_TYPES[path.suffix]}
            )

    return StaticOnly()


def render(html: str, static_root: Path) -> bytes:
    """The PDF (A4) of a rendered HTML page of this server."""
    from weasyprint import HTML  # imported on first use: it loads pango

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher(static_root))
    return bytes(document.write_pdf())
