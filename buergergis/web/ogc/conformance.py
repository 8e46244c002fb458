"""Conformance classes and extension hooks of ``/ogc``.

Other areas (OGC API – Tiles) append from their ``init_app``:

* ``CONFORMANCE`` – conformance class URIs they implement and test;
* ``COLLECTION_LINK_PROVIDERS`` – ``f(layer, base_url) -> list[link dict]`` added to every
  collection (e.g. ``rel="http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"``);
* ``LANDING_LINK_PROVIDERS`` – ``f(base_url) -> list[link dict]`` for the landing page;
* ``OPENAPI_PATH_PROVIDERS`` – ``f() -> dict`` of OpenAPI path items (keys relative to
  ``/ogc``, e.g. ``"/collections/{collectionId}/tiles"``) merged into ``/ogc/api``.

Only classes that the test suite exercises are declared here (docs/ogc-api.md lists them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from buergergis.store.catalog import LayerRecord

Link = dict[str, Any]

FEATURES_1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
FEATURES_2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/"
FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
FEATURES_5 = "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"

#: What this API conforms to (features parts 1–3, CQL2, sortables).
CONFORMANCE: list[str] = [
    FEATURES_1 + "core",
    FEATURES_1 + "oas30",
    FEATURES_1 + "html",
    FEATURES_1 + "geojson",
    FEATURES_2 + "crs",
    FEATURES_3 + "queryables",
    FEATURES_3 + "queryables-query-parameters",
    FEATURES_3 + "filter",
    FEATURES_3 + "features-filter",
    FEATURES_5 + "sortables",
    CQL2 + "cql2-text",
    CQL2 + "cql2-json",
    CQL2 + "basic-cql2",
    CQL2 + "advanced-comparison-operators",
    CQL2 + "case-insensitive-comparison",
    CQL2 + "accent-insensitive-comparison",
    CQL2 + "basic-spatial-functions",
    CQL2 + "basic-spatial-functions-plus",
    CQL2 + "spatial-functions",
    CQL2 + "temporal-functions",
    CQL2 + "property-property",
    CQL2 + "arithmetic",
]

COLLECTION_LINK_PROVIDERS: list[Callable[[LayerRecord, str], list[Link]]] = []
LANDING_LINK_PROVIDERS: list[Callable[[str], list[Link]]] = []
OPENAPI_PATH_PROVIDERS: list[Callable[[], dict[str, Any]]] = []


def conforms_to() -> list[str]:
    """The declared classes without duplicates, in registration order."""
    return list(dict.fromkeys(CONFORMANCE))


def collection_links(layer: LayerRecord, base_url: str) -> list[Link]:
    """Links contributed by other areas for one collection."""
    providers = dict.fromkeys(COLLECTION_LINK_PROVIDERS)
    return [link for provider in providers for link in provider(layer, base_url)]


def landing_links(base_url: str) -> list[Link]:
    """Links contributed by other areas for the landing page."""
    providers = dict.fromkeys(LANDING_LINK_PROVIDERS)
    return [link for provider in providers for link in provider(base_url)]
