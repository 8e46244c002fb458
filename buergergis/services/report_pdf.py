"""The PDF of „Mein Ort": WeasyPrint renders the very HTML of the print view.

Also the print of the city map (``/druck.pdf``) is made here. Only this server's own static
files (CSS below ``static/``) and the page's in-memory resources (``mem/…``: the print's map
picture) are read; every other URL – another host, ``file:``, ``data:`` beyond what the page
holds – is refused, so a PDF never makes a network request. The page footer (``static/services/place.css``, ``@page``) repeats
the note that this is no official information.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The base URL the HTML is rendered against; only ``/static/…`` below it is served.
BASE_URL = "https://buergergis.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
MEMORY_PREFIX = BASE_URL + "mem/"
MEDIA_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def _fetcher(static_root: Path, resources: Mapping[str, tuple[bytes, str]]) -> Any:
    """A WeasyPrint URL fetcher that serves ``static/`` files and the page's own in-memory
    ``resources`` (below ``mem/``, e.g. the print's map picture) and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_root.resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith(MEMORY_PREFIX) and url[len(MEMORY_PREFIX) :] in resources:
                data, media_type = resources[url[len(MEMORY_PREFIX) :]]
                return URLFetcherResponse(url, data, headers={"Content-Type": media_type})
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


def render(
    html: str, static_root: Path, resources: Mapping[str, tuple[bytes, str]] | None = None
) -> bytes:
    """The PDF of a rendered HTML page of this server (paper size from its CSS ``@page``);
    ``resources`` maps names to (bytes, media type), linked as ``mem/<name>``."""
    from weasyprint import HTML  # imported on first use: it loads pango

    fetcher = _fetcher(static_root, resources or {})
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return bytes(document.write_pdf())
