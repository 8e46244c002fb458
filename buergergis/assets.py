"""Copy the front-end packages installed by npm into ``static/vendor`` (served by BürgerGIS).

Citizens' browsers load every script, stylesheet, font and icon from BürgerGIS itself; the
packages come from npm (``package.json``, pinned by ``package-lock.json``) — never from a CDN.
Run by ``make assets``: ``python -m buergergis.assets``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from buergergis.settings import PROJECT_ROOT

#: (package path in node_modules, files or folders to copy, target folder in static/vendor)
VENDOR: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("leaflet/dist", ("leaflet.js", "leaflet.css", "images"), "leaflet"),
    (
        "leaflet.markercluster/dist",
        ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
        "leaflet.markercluster",
    ),
    (
        "leaflet.fullscreen",
        ("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"),
        "leaflet.fullscreen",
    ),
    (
        "leaflet.locatecontrol/dist",
        ("L.Control.Locate.min.js", "L.Control.Locate.min.css"),
        "leaflet.locatecontrol",
    ),
    ("maplibre-gl/dist", ("maplibre-gl.js", "maplibre-gl.css"), "maplibre-gl"),
    ("@maplibre/maplibre-gl-leaflet", ("leaflet-maplibre-gl.js",), "maplibre-gl-leaflet"),
    (
        "swagger-ui-dist",
        ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"),
        "swagger-ui",
    ),
    ("axe-core", ("axe.min.js",), "axe-core"),
    ("bootstrap/dist", ("css/bootstrap.min.css", "js/bootstrap.bundle.min.js"), "bootstrap"),
    ("@fortawesome/fontawesome-free", ("css/all.min.css", "webfonts", "svgs/solid"), "fontawesome"),
    ("jquery/dist", ("jquery.min.js",), "jquery"),
    (
        "leaflet.awesome-markers/dist",
        ("leaflet.awesome-markers.js", "leaflet.awesome-markers.css", "images"),
        "leaflet.awesome-markers",
    ),
    # measuring on the city map (issue 16): drawing by geoman, geodesics by GeographicLib
    (
        "@geoman-io/leaflet-geoman-free/dist",
        ("leaflet-geoman.min.js", "leaflet-geoman.css"),
        "leaflet-geoman",
    ),
    ("geographiclib-geodesic", ("geographiclib-geodesic.min.js",), "geographiclib-geodesic"),
)


def copy_vendor(root: Path = PROJECT_ROOT) -> list[Path]:
    """Copy the listed files; a missing file is an error (the setup must be complete)."""
    modules, target = root / "node_modules", root / "static" / "vendor"
    written = []
    for package, items, folder in VENDOR:
        for item in items:
            src = modules / package / item
            if not src.exists():
                raise FileNotFoundError(f"{src} fehlt – bitte 'npm ci' ausführen")
            dest = target / folder / item
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dest)
            written.append(dest)
    return written


if __name__ == "__main__":
    try:
        files = copy_vendor()
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(f"{len(files)} Asset-Dateien nach static/vendor kopiert")
