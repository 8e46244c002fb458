"""Parameters and response bodies of ``/search`` and ``/search/nearest``."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from buergergis.catalog.models import ID_PATTERN, Attribute
from buergergis.errors import InvalidParameter
from buergergis.maps.build import FEATURE_ZOOM
from buergergis.maps.i18n import Lang
from buergergis.maps.view import parse_lang, parse_layer_ids
from buergergis.store.catalog import LayerRecord
from buergergis.store.search import Hit
from buergergis.values import parse_int

MIN_QUERY, MAX_QUERY = 2, 100
DEFAULT_LIMIT, MAX_LIMIT = 10, 50
DEFAULT_NEAREST, MAX_NEAREST = 3, 20
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class SearchParams:
    """Validated ``/search`` parameters."""

    q: str
    limit: int
    layers: tuple[str, ...] | None
    lang: Lang
    html: bool


def _int(value: str | None, name: str, default: int, high: int) -> int:
    return parse_int(value, name, default=default, low=1, high=high) or default


def search_params(args: Mapping[str, str]) -> SearchParams:
    """``q`` (2–100 characters), ``limit`` (1–50), ``layers``, ``lang``, ``f`` (json|html)."""
    q = " ".join((args.get("q") or "").split())
    if len(q) < MIN_QUERY:
        raise InvalidParameter(
            f"Parameter 'q': bitte mindestens {MIN_QUERY} Zeichen eingeben, z. B. q=Bürgeramt."
        )
    if len(q) > MAX_QUERY:
        raise InvalidParameter(f"Parameter 'q': höchstens {MAX_QUERY} Zeichen.")
    fmt = args.get("f") or "json"
    if fmt not in {"json", "html"}:
        raise InvalidParameter("Parameter 'f': erlaubt sind 'json' und 'html'.")
    return SearchParams(
        q=q,
        limit=_int(args.get("limit"), "limit", DEFAULT_LIMIT, MAX_LIMIT),
        layers=parse_layer_ids(args.get("layers")),
        lang=parse_lang(args.get("lang")),
        html=fmt == "html",
    )


def parse_layer_filter(
    records: list[LayerRecord], layers: tuple[str, ...] | None
) -> list[LayerRecord]:
    """The records to search: all public vector layers, or those named (unknown ids: 400)."""
    vectors = [r for r in records if r.kind == "vector"]
    if layers is None:
        return vectors
    known = {r.id for r in vectors}
    unknown = [i for i in layers if i not in known]
    if unknown:
        raise InvalidParameter(
            f"Parameter 'layers': unbekannte oder nicht durchsuchbare Ebenen: {', '.join(unknown)}."
        )
    return [r for r in vectors if r.id in layers]


def _title(record: LayerRecord, lang: Lang) -> str:
    d = record.definition
    return (d.title_en if lang == "en" else None) or d.title


def hit_map_url(hit: Hit, lang: Lang) -> str:
    """The city map showing a hit with its popup open."""
    params = {
        "layers": hit.layer,
        "center": f"{hit.lat:.5f},{hit.lon:.5f}",
        "zoom": str(FEATURE_ZOOM),
        "feature": f"{hit.layer}:{hit.id}",
    }
    if lang != "de":
        params["lang"] = lang
    return "/?" + urlencode(params)


def _matched(hit: Hit, attributes: dict[str, Attribute], lang: Lang) -> dict[str, Any] | None:
    """Which attribute of the hit matched the query: name, title and value."""
    if hit.field is None:
        return None
    attribute = attributes.get(hit.field)
    title = (attribute.title_en if attribute and lang == "en" else None) or (
        attribute.label if attribute else hit.field
    )
    return {"field": hit.field, "title": title, "value": hit.value}


def search_results(
    params: SearchParams, hits: list[Hit], records: list[LayerRecord]
) -> dict[str, Any]:
    """The JSON body of ``/search`` (also the model of the HTML result page)."""
    titles = {r.id: _title(r, params.lang) for r in records}
    fields = {r.id: {a.name: a for a in r.attributes} for r in records}
    return {
        "query": params.q,
        "results": [
            {
                "layer": h.layer,
                "layer_title": titles.get(h.layer, h.layer),
                "id": h.id,
                "label": h.label,
                "detail": h.detail,
                "lon": round(h.lon, 6),
                "lat": round(h.lat, 6),
                "bbox": [round(v, 6) for v in h.bbox] if h.bbox else None,
                "score": h.score,
                "matched": _matched(h, fields.get(h.layer, {}), params.lang),
                "map_url": hit_map_url(h, params.lang),
            }
            for h in hits
        ],
    }


@dataclass(frozen=True)
class NearestParams:
    """Validated ``/search/nearest`` parameters."""

    layer: str
    lon: float
    lat: float
    limit: int


def _coordinate(value: str | None, name: str, bound: float) -> float:
    try:
        number = float(value) if value else math.nan
    except ValueError:
        number = math.nan
    if not -bound <= number <= bound:
        raise InvalidParameter(
            f"Parameter '{name}': erwartet Grad in WGS84 zwischen {-bound:g} und {bound:g}."
        )
    return number


def nearest_params(args: Mapping[str, str]) -> NearestParams:
    """``layer`` (id), ``lon``/``lat`` (WGS84), ``limit`` (1–20)."""
    layer = (args.get("layer") or "").strip()
    if not _ID.match(layer) or len(layer) > 40:
        raise InvalidParameter(
            "Parameter 'layer': bitte eine Ebenen-ID angeben, z. B. layer=kitas."
        )
    return NearestParams(
        layer=layer,
        lon=_coordinate(args.get("lon"), "lon", 180),
        lat=_coordinate(args.get("lat"), "lat", 90),
        limit=_int(args.get("limit"), "limit", DEFAULT_NEAREST, MAX_NEAREST),
    )
