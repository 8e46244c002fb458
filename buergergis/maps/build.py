"""Build the city map and the embed map with folium from catalog layers and a view.

The result is split into the parts the page templates place themselves (head links, the map
``<div>``, the one inline script) — see :func:`render`. The SHA-256 of the inline script goes
into the page's Content-Security-Policy, so no other inline script can run.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure
from markupsafe import Markup

from buergergis.maps.elements import (
    BaseMap,
    CatalogLayer,
    LocalFullscreen,
    LocalLocateControl,
    MapTools,
    PageMount,
    PageSetup,
)
from buergergis.maps.layers import MapLayer, default_visible, draw_order
from buergergis.maps.tools import tool_texts
from buergergis.maps.view import MapView
from buergergis.services.on_map import MapServices
from buergergis.settings import HomeView

#: Centre and extent of Hameln: the defaults of ``BUERGERGIS_HOME_CENTER``/``…_EXTENT``.
HAMELN = (52.1037, 9.3563)
HAMELN_EXTENT = (9.26, 52.04, 9.48, 52.17)
DEFAULT_ZOOM = 13
FEATURE_ZOOM = 17
MAX_ZOOM = 19

#: Route contracts of the other areas, used by the browser code.
ROUTES = {
    "items": "/ogc/collections/{id}/items",
    "collection": "/ogc/collections/{id}",
    "mvt": "/tiles/{id}/{z}/{x}/{y}.mvt",
    "png": "/tiles/{id}/{z}/{x}/{y}.png",
    "tilejson": "/tiles/{id}.json",
    "list": "/liste/{id}",
    "search": "/search",
    "nearest": "/search/nearest",
    "map": "/",
    "embed": "/embed",
    # city services (issue 7, web/services.py)
    "lot_request": "/holzverkauf/anfrage",
    "office_status": "/dienste/buergeramt/status.json",
    "office_open": "/dienste/buergeramt/offen",
    "my_place": "/mein-ort",
}
NO_SERVICES = MapServices()
DEFAULT_HOME = HomeView(HAMELN, HAMELN_EXTENT)


@dataclass(frozen=True)
class Basemap:
    """The configured background tiles (``url`` empty: none)."""

    url: str
    attribution: str


@dataclass(frozen=True)
class RenderedMap:
    """A folium map split for a page template."""

    map_id: str
    head: Markup
    html: Markup
    script: Markup

    @property
    def csp_hash(self) -> str:
        """``'sha256-…'`` source expression of the inline script."""
        digest = hashlib.sha256(str(self.script).encode()).digest()
        return f"'sha256-{base64.b64encode(digest).decode()}'"


def visible_ids(layers: list[MapLayer], view: MapView) -> set[str]:
    """Layers switched on: those named in the URL, else the defaults."""
    if view.layers is None:
        return {layer.id for layer in layers if default_visible(layer)}
    return {layer.id for layer in layers if layer.id in view.layers}


def _start(view: MapView, home: HomeView) -> dict[str, Any]:
    """Centre/zoom from the URL, else the configured city view (never a layer's extent:
    one public layer far away must not turn the city map into a world map)."""
    if view.center is not None:
        return {"location": view.center, "zoom_start": view.zoom or FEATURE_ZOOM - 2}
    if view.zoom is not None:
        return {"location": home.center, "zoom_start": view.zoom}
    return {"location": home.center, "zoom_start": DEFAULT_ZOOM, "fit": home.extent}


def _base_map(
    view: MapView,
    basemap: Basemap,
    texts: dict[str, str],
    home: HomeView,
    **options: Any,
) -> folium.Map:
    start = _start(view, home)
    fit = start.pop("fit", None)
    fmap = BaseMap(
        label=texts["map_label"],
        zoom_in=texts["zoom_in"],
        zoom_out=texts["zoom_out"],
        max_zoom=MAX_ZOOM,
        fit=fit,
        **start,
        **options,
    )
    if basemap.url and view.basemap != "none":
        folium.TileLayer(
            tiles=basemap.url,
            attr=basemap.attribution,
            max_zoom=MAX_ZOOM,
            overlay=False,
            control=False,
            name="basemap",
        ).add_to(fmap)
    return fmap


def _add_layers(
    fmap: folium.Map,
    layers: list[MapLayer],
    shown: set[str],
    page: dict[str, Any],
    script: str,
    services: MapServices,
) -> None:
    PageSetup(page, script).add_to(fmap)
    order = draw_order(layers)
    for layer in layers:
        visible = layer.id in shown
        config = layer.config(visible)
        config["pane"] = order.get(layer.id)
        config["urls"] = {
            key: ROUTES[key].replace("{id}", layer.id)
            for key in ("items", "mvt", "png", "tilejson", "list")
        }
        # Versioned, immutable tile URL (maps show public layers only): nginx answers cached
        # tiles itself; a page opened before a reload is redirected to the current tile.
        config["urls"]["mvt"] = f"/tiles/v/{layer.id}@{layer.version}/{{z}}/{{x}}/{{y}}.mvt"
        if layer.tile_url:  # external layers: tiles through BürgerGIS, never from the upstream
            config["urls"]["png"] = layer.tile_url
            config["urls"]["status"] = f"/extern/{layer.id}/status.json"
        config["items_query"] = services.items_query(layer.id)
        config["service"] = services.layer_config(layer.id, page["texts"], page["lang"])
        CatalogLayer(config, show=visible).add_to(fmap)
    PageMount().add_to(fmap)


def page_config(
    view: MapView, texts: dict[str, str], mode: str, services: MapServices = NO_SERVICES
) -> dict[str, Any]:
    """What ``BGIS.mount`` needs besides the layers."""
    keys = (
        "search_none", "search_hits", "search_error", "nearest_from_location", "nearest_from_center",
        "locate_error", "list", "show_on_map", "data_date", "license", "source", "load_error",
        "distance", "copied", "zoom_in_to_see", "close", "yes", "no", "loading",
        "request_lot", "lot_free", "lot_unavailable", "opening_loading", "opening_error",
        "my_place", "my_place_hint", "my_place_center", "my_place_cancel", "office_open_now",
        "office_none_open", "only_free_lots", "only_available_vehicles",
        "book", "gesture_hint", "markers_hint", "extern_unavailable",
    )  # fmt: skip
    offices = [lid for lid, role in services.roles.items() if role == "buergeramt"]
    return {
        "mode": mode,
        "lang": view.lang,
        "basemap": view.basemap,
        "feature": list(view.feature) if view.feature else None,
        "show_past": view.show_past,
        "office_layer": offices[0] if offices else None,
        "texts": {k: texts[k] for k in keys},
        "routes": ROUTES,
        "maxZoom": MAX_ZOOM,
        "featureZoom": FEATURE_ZOOM,
    }


def build_city_map(
    layers: list[MapLayer],
    view: MapView,
    basemap: Basemap,
    texts: dict[str, str],
    services: MapServices = NO_SERVICES,
    home: HomeView = DEFAULT_HOME,
) -> folium.Map:
    """The full city map: all public layers, locate, fullscreen and the page glue; without a
    ``center`` in the URL it opens on the configured city view ``home``."""
    shown = visible_ids(layers, view)
    fmap = _base_map(view, basemap, texts, home)
    LocalFullscreen(
        position="topleft", title=texts["fullscreen"], title_cancel=texts["fullscreen_exit"]
    ).add_to(fmap)
    LocalLocateControl(
        position="topleft",
        strings={"title": texts["locate"], "popup": texts["locate_popup"]},
        keepCurrentZoomLevel=False,
        locateOptions={"maxZoom": FEATURE_ZOOM, "enableHighAccuracy": True},
    ).add_to(fmap)
    page = page_config(view, texts, "full", services)
    _add_layers(fmap, layers, shown, page, "page", services)
    MapTools(tool_texts(view.lang)).add_to(fmap)  # measure and print (issue 16)
    return fmap


def build_embed_map(
    layers: list[MapLayer],
    view: MapView,
    basemap: Basemap,
    texts: dict[str, str],
    services: MapServices = NO_SERVICES,
    home: HomeView = DEFAULT_HOME,
) -> folium.Map:
    """The lean embed map: only Leaflet and BürgerGIS' small scripts; no scroll-wheel zoom."""
    shown = visible_ids(layers, view)
    fmap = _base_map(view, basemap, texts, home, scroll_wheel_zoom=False)
    page = page_config(view, texts, "embed", services)
    _add_layers(fmap, layers, shown, page, "embed", services)
    return fmap


def render(fmap: folium.Map) -> RenderedMap:
    """Render a map into head links, the map ``<div>`` and the inline script."""
    figure: Figure = fmap.get_root()  # type: ignore[assignment]
    for child in list(figure._children.values()):
        child.render()
    return RenderedMap(
        map_id=fmap.get_name(),
        head=Markup(figure.header.render()),
        html=Markup(figure.html.render()),
        script=Markup(figure.script.render().strip()),
    )
