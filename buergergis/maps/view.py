"""The view of a map page as URL parameters: centre, zoom, layers, basemap, language, feature.

The same parameters serve the city map ``/`` (permalink), ``/embed`` and the oEmbed/builder
snippets, so a view can be handed from one to the other by copying the query string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from buergergis.catalog.models import ID_MAX_LENGTH, ID_PATTERN
from buergergis.errors import InvalidParameter
from buergergis.maps.i18n import Lang, is_lang
from buergergis.services.filters import wants_all

_ID = re.compile(ID_PATTERN)
MAX_LAYERS = 30
MAX_ZOOM = 22
BASEMAPS = ("default", "none")


@dataclass(frozen=True)
class MapView:
    """What a map URL asks for; ``None`` means "choose sensible defaults"."""

    center: tuple[float, float] | None = None  # (lat, lon) in WGS84
    zoom: int | None = None
    layers: tuple[str, ...] | None = None
    basemap: str = "default"
    lang: Lang = "de"
    feature: tuple[str, str] | None = None  # (layer id, feature id) to open after loading
    show_past: bool = False  # ``alle=1``: past Ferienaktionen, expired jobs … are shown too

    def query(self, **changes: Any) -> dict[str, str]:
        """The view as URL parameters (defaults left out), with optional changes applied."""
        view = replace(self, **changes) if changes else self
        params: dict[str, str] = {}
        if view.center is not None:
            params["center"] = f"{view.center[0]:.5f},{view.center[1]:.5f}"
        if view.zoom is not None:
            params["zoom"] = str(view.zoom)
        if view.layers is not None:
            params["layers"] = ",".join(view.layers)
        if view.basemap != "default":
            params["basemap"] = view.basemap
        if view.lang != "de":
            params["lang"] = view.lang
        if view.feature is not None:
            params["feature"] = f"{view.feature[0]}:{view.feature[1]}"
        if view.show_past:
            params["alle"] = "1"
        return params


def query_string(params: dict[str, str]) -> str:
    """URL-encode map parameters, keeping ``,`` and ``:`` readable (``layers=a,b``)."""
    return urlencode(params, safe=",:")


def parse_view(args: Mapping[str, str]) -> MapView:
    """Validate the query parameters of a map page (German messages on bad input)."""
    return MapView(
        center=parse_center(args.get("center")),
        zoom=parse_zoom(args.get("zoom")),
        layers=parse_layer_ids(args.get("layers")),
        basemap=_basemap(args.get("basemap")),
        lang=parse_lang(args.get("lang")),
        feature=_feature(args.get("feature")),
        show_past=wants_all(args),
    )


def parse_lang(value: str | None) -> Lang:
    """``de`` (default) or ``en``."""
    if not value:
        return "de"
    lang = value.strip().lower()
    if not is_lang(lang):
        raise InvalidParameter("Parameter 'lang': erlaubt sind 'de' und 'en'.")
    return lang  # type: ignore[return-value]


def parse_center(value: str | None) -> tuple[float, float] | None:
    """``LAT,LON`` in WGS84 degrees."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    try:
        lat, lon = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lat = lon = math.nan
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidParameter(
            "Parameter 'center': erwartet 'Breite,Länge' in Grad, z. B. center=52.1037,9.3563."
        )
    return (lat, lon)


def parse_zoom(value: str | None) -> int | None:
    """An integer zoom level 0…22."""
    if value is None or not value.strip():
        return None
    try:
        zoom = int(value)
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidParameter(f"Parameter 'zoom': erwartet eine ganze Zahl von 0 bis {MAX_ZOOM}.")
    return zoom


def parse_layer_ids(value: str | None, name: str = "layers") -> tuple[str, ...] | None:
    """Comma-separated layer ids (syntax only; the catalog decides whether they exist)."""
    if value is None:
        return None
    ids = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    if len(ids) > MAX_LAYERS:
        raise InvalidParameter(f"Parameter '{name}': höchstens {MAX_LAYERS} Ebenen.")
    for layer_id in ids:
        if len(layer_id) > ID_MAX_LENGTH or not _ID.match(layer_id):
            raise InvalidParameter(
                f"Parameter '{name}': '{layer_id[:60]}' ist keine gültige Ebenen-ID "
                "(Kleinbuchstaben, Ziffern, '-' und '_')."
            )
    return ids


def _basemap(value: str | None) -> str:
    if not value:
        return "default"
    if value not in BASEMAPS:
        raise InvalidParameter("Parameter 'basemap': erlaubt sind 'default' und 'none'.")
    return value


def _feature(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    layer_id, sep, fid = value.partition(":")
    if not sep or not fid or len(fid) > 200 or not _ID.match(layer_id):
        raise InvalidParameter("Parameter 'feature': erwartet 'ebene:objekt-id'.")
    return (layer_id, fid)
