"""folium elements of BürgerGIS: the map, catalog layers and the page glue.

Each element declares its scripts and stylesheets as local ``/static`` URLs (see
``buergergis.maps.assets``), so a rendered map never links a CDN.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import Fullscreen, LocateControl
from folium.template import Template

from buergergis.maps.assets import VENDOR_CSS, VENDOR_JS, links, static_url

OWN_JS = {
    "layers": "js/layers.js",
    "services": "js/services.js",
    "page": "js/page.js",
    "embed": "js/embed.js",
    "access": "js/access.js",
    "measure": "js/measure.js",
    "print": "js/print.js",
}
OWN_CSS = {
    "base": "css/base.css",
    "map": "css/map.css",
    "embed": "css/embed.css",
    "tools": "css/tools.css",
}


def own_js(*names: str) -> list[tuple[str, str]]:
    """``(name, url)`` pairs of BürgerGIS' own scripts."""
    return [(f"bgis_{n}", static_url(OWN_JS[n])) for n in names]


class BaseMap(folium.Map):
    """``folium.Map`` without folium's page chrome.

    folium's header sets ``maximum-scale=1, user-scalable=no`` (forbidden by WCAG 1.4.4), styles
    ``html``/``body``, sizes the map and runs an inline script; the page templates and their
    stylesheets own those parts here. The
    zoom buttons get labels in the page language, the scale bar is metric, and ``fit`` (a WGS84
    bbox) sets the first view without animation.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}{% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map bgis-map" id="{{ this.get_name() }}"
                 aria-label="{{ this.label|e }}" role="region"></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }},
                 ...{{ this.options|tojavascript }}}
            );
            {%- if this.fit %}
            {{ this.get_name() }}.fitBounds({{ this.fit|tojson }}, {animate: false});
            {%- endif %}
            L.control.zoom({{ this.zoom_labels|tojavascript }}).addTo({{ this.get_name() }});
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
        {% endmacro %}
        """
    )
    default_js = links(("leaflet",), VENDOR_JS)
    default_css = links(("leaflet_css",), VENDOR_CSS)

    def __init__(
        self,
        *,
        label: str,
        zoom_in: str,
        zoom_out: str,
        fit: tuple[float, float, float, float] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(tiles=None, zoom_control=False, **kwargs)
        self.label = label
        # fitted without animation, so the first view is final when the page reports "ready"
        self.fit = [[fit[1], fit[0]], [fit[3], fit[2]]] if fit else None
        self.zoom_labels = {"zoom_in_title": zoom_in, "zoom_out_title": zoom_out}
        figure: Figure = self.get_root()  # type: ignore[assignment]
        figure.header._children.pop("meta_http", None)  # the page template sets the charset


class LocalFullscreen(Fullscreen):
    """The fullscreen button, served from ``static/vendor``."""

    default_js = links(("Control.Fullscreen.js",), VENDOR_JS)
    default_css = links(("Control.FullScreen.css",), VENDOR_CSS)


class LocalLocateControl(LocateControl):
    """ "Mein Standort" (leaflet.locatecontrol), served from ``static/vendor``."""

    default_js = links(("Control_locate_min_js",), VENDOR_JS)
    default_css = links(("Control_locate_min_css",), VENDOR_CSS)


class CatalogLayer(JSCSSMixin, Layer):
    """A catalog layer built in the browser by ``BGIS.layer`` (``static/js/layers.js``).

    GeoJSON layers fetch ``/ogc/collections/{id}/items`` when first shown; clustered layers use
    leaflet.markercluster; ``vectortiles`` layers load maplibre-gl only when switched on.
    folium's ``Layer`` adds the layer to the map when ``show`` is true.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = BGIS.layer(
                {{ this._parent.get_name() }}, {{ this.config|tojavascript }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any], show: bool) -> None:
        super().__init__(name=config["title"], overlay=True, control=False, show=show)
        self._name = "CatalogLayer"
        self.config = config
        self.default_js = [*own_js("layers")]
        self.default_css: list[tuple[str, str]] = []
        if config["render"] == "cluster":
            self.default_js = [*links(("markerclusterjs",), VENDOR_JS), *self.default_js]
            self.default_css = links(("markerclustercss", "markerclusterdefaultcss"), VENDOR_CSS)


class PageSetup(JSCSSMixin, MacroElement):
    """Page settings (language, texts, routes) for the browser code, before any layer exists:
    ``BGIS.setup(map, config)``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            BGIS.setup({{ this._parent.get_name() }}, {{ this.config|tojavascript }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any], script: str) -> None:
        super().__init__()
        self._name = "PageSetup"
        self.config = config
        self.default_js = own_js("layers", "services", "access", script)
        self.default_css: list[tuple[str, str]] = []


class PageMount(MacroElement):
    """Binds the page to the map once all layers exist: ``BGIS.mount()``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            BGIS.mount();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PageMount"


class MapTools(JSCSSMixin, MacroElement):
    """Measuring (``static/js/measure.js``: GeographicLib, and geoman loaded on first use) and
    the print dialog (``static/js/print.js``) of the city map, in the page language."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            BGIS.mountMeasure({{ this._parent.get_name() }}, {{ this.texts|tojson }},
                              {{ this.assets|tojson }});
            BGIS.mountPrint({{ this._parent.get_name() }}, {{ this.texts|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self._name = "MapTools"
        self.texts = texts
        # geoman is loaded by measure.js on the first measurement (not with every page)
        self.assets = {
            "js": static_url(VENDOR_JS["geoman"]),
            "css": static_url(VENDOR_CSS["geoman_css"]),
        }
        self.default_js = [*links(("geodesic",), VENDOR_JS), *own_js("measure", "print")]
        self.default_css = [("bgis_tools_css", static_url(OWN_CSS["tools"]))]
