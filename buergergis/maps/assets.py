"""Front-end assets of the maps: every script and stylesheet comes from BürgerGIS itself.

folium links Leaflet, jQuery, Bootstrap, Font Awesome, the awesome-markers plugin and some CSS
from public CDNs (``default_js``/``default_css`` class attributes). Citizens' browsers must not
contact those hosts, so

* the BürgerGIS map classes (``buergergis.maps.elements``) declare their own asset lists, built
  from :data:`VENDOR_JS`/:data:`VENDOR_CSS` (npm packages copied to ``static/vendor`` by
  ``buergergis.assets``), and
* :func:`localize_folium` rewrites the class attributes of folium itself (``folium.Map`` and
  every plugin) at app start, so that *any* folium map rendered in this process links local
  files only. Entries without a local equivalent (glyphicons from Bootstrap 3, folium's
  ``awesome.rotate`` CSS, plugins that are not vendored) are dropped rather than left pointing
  at a CDN.
"""

from __future__ import annotations

import logging

from branca.element import MacroElement

log = logging.getLogger(__name__)

#: folium's asset names → path below ``/static``.
VENDOR_JS: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "awesome_markers": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.js",
    "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control_locate_min_js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
    "geoman": "vendor/leaflet-geoman/leaflet-geoman.min.js",
    "geodesic": "vendor/geographiclib-geodesic/geographiclib-geodesic.min.js",
}
VENDOR_CSS: dict[str, str] = {
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "awesome_markers_css": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css",
    "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
    "Control_locate_min_css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
    "geoman_css": "vendor/leaflet-geoman/leaflet-geoman.css",
}
#: Files loaded on demand by ``static/js/layers.js`` (vector tiles only).
MAPLIBRE_JS = (
    "vendor/maplibre-gl/maplibre-gl.js",
    "vendor/maplibre-gl-leaflet/leaflet-maplibre-gl.js",
)
MAPLIBRE_CSS = "vendor/maplibre-gl/maplibre-gl.css"

Links = list[tuple[str, str]]


def static_url(path: str, base: str = "") -> str:
    """URL of a file below ``/static`` (``base`` is a scheme+host prefix, or empty)."""
    return f"{base.rstrip('/')}/static/{path}"


def links(names: tuple[str, ...], table: dict[str, str], base: str = "") -> Links:
    """``(name, url)`` pairs in folium's format for the given asset names."""
    return [(name, static_url(table[name], base)) for name in names]


def _localize(entries: Links, table: dict[str, str], base: str, owner: str) -> Links:
    result = []
    for name, url in entries:
        if url.startswith(static_url("", base)):
            result.append((name, url))
        elif name in table:
            result.append((name, static_url(table[name], base)))
        else:
            log.info("folium asset %s of %s has no local copy and is left out", name, owner)
    return result


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def localize_folium(base: str = "") -> None:
    """Point the asset lists of folium and all its plugins at ``<base>/static/vendor/…``.

    Idempotent; ``base`` is empty in the service (same-origin paths) and the service URL in
    notebooks that save maps as HTML files.
    """
    import folium
    import folium.plugins
    from folium.elements import JSCSSMixin

    classes: list[type] = [folium.Map, *_subclasses(JSCSSMixin)]
    for cls in dict.fromkeys(classes):
        if not issubclass(cls, MacroElement):
            continue
        for attr, table in (("default_js", VENDOR_JS), ("default_css", VENDOR_CSS)):
            entries = cls.__dict__.get(attr)
            if entries:
                setattr(cls, attr, _localize(list(entries), table, base, cls.__name__))
