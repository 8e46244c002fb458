"""Content-Security-Policy of the map pages: the browser itself enforces the privacy rule.

Scripts, styles, fonts and data come from the service only; images may also come from the
configured basemap host. The one inline script (folium's map code) is allowed by its SHA-256.
``frame-ancestors`` comes from the configuration (who may show the page in an iframe).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def basemap_source(url: str) -> str | None:
    """CSP host source of a tile URL template (``{s}`` subdomains become ``*``)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    host = re.sub(r"\{[a-z]\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def policy(
    *, script_hashes: tuple[str, ...] = (), basemap_url: str = "", frame_ancestors: str = "'self'"
) -> str:
    """The header value for one page."""
    images = ["'self'", "data:", "blob:"]
    source = basemap_source(basemap_url)
    if source:
        images.append(source)
    ancestors = re.sub(r"[;\r\n]", " ", frame_ancestors).strip() or "'self'"
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *script_hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src " + " ".join(images),
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ]
    return "; ".join(directives)
