"""HTML pages of ``/ogc``: German by default, English with ``lang=en`` (Jinja autoescape)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from flask import Response, render_template

from buergergis.maps.csp import policy
from buergergis.web import state
from buergergis.web.ogc.links import base_url, current, root_url

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "service": "BürgerGIS Hameln – Geodaten (OGC API)",
        "intro": "Offene Geodaten der Stadt Hameln als OGC API – Features. "
        "Alle Daten sind als Webseite, GeoJSON und zum Herunterladen verfügbar.",
        "collections": "Datensätze",
        "collection": "Datensatz",
        "conformance": "Erfüllte Standards (Konformitätsklassen)",
        "api": "API-Beschreibung (OpenAPI)",
        "objects": "Objekte",
        "item": "Objekt",
        "browse": "Objekte ansehen",
        "queryables": "Abfragbare Eigenschaften",
        "sortables": "Sortierbare Eigenschaften",
        "download": "Herunterladen",
        "license": "Lizenz",
        "attribution": "Namensnennung",
        "extent": "Ausdehnung",
        "count": "Anzahl Objekte",
        "description": "Beschreibung",
        "keywords": "Schlagwörter",
        "crs": "Koordinatenreferenzsysteme",
        "storage_crs": "Speicher-KBS",
        "name": "Name",
        "title": "Bezeichnung",
        "type": "Typ",
        "value": "Wert",
        "id": "ID",
        "matched": "{matched} Objekte gefunden, {start}–{end} werden angezeigt.",
        "none": "Keine Objekte gefunden.",
        "next": "Weiter",
        "prev": "Zurück",
        "first": "Anfang",
        "per_page": "pro Seite",
        "filter": "Filter (CQL2)",
        "filter_help": "z. B. CASEI(name) LIKE '%mühle%' oder ACCENTI(name) = ACCENTI('Muhle')",
        "apply": "Anwenden",
        "reset": "Zurücksetzen",
        "as_json": "JSON",
        "as_geojson": "GeoJSON",
        "language": "English",
        "home": "Start",
        "map": "Karte der Objekte dieser Seite",
        "temporal": "Zeitraum",
        "distance": "Entfernung (m)",
        "updated": "Stand",
    },
    "en": {
        "service": "BürgerGIS Hameln – geodata (OGC API)",
        "intro": "Open geodata of the city of Hameln as OGC API – Features. "
        "All data is available as web pages, GeoJSON and as downloads.",
        "collections": "Collections",
        "collection": "Collection",
        "conformance": "Conformance classes",
        "api": "API definition (OpenAPI)",
        "objects": "Features",
        "item": "Feature",
        "browse": "Browse features",
        "queryables": "Queryables",
        "sortables": "Sortables",
        "download": "Download",
        "license": "Licence",
        "attribution": "Attribution",
        "extent": "Extent",
        "count": "Number of features",
        "description": "Description",
        "keywords": "Keywords",
        "crs": "Coordinate reference systems",
        "storage_crs": "Storage CRS",
        "name": "Name",
        "title": "Title",
        "type": "Type",
        "value": "Value",
        "id": "ID",
        "matched": "{matched} features found, showing {start}–{end}.",
        "none": "No features found.",
        "next": "Next",
        "prev": "Previous",
        "first": "First",
        "per_page": "per page",
        "filter": "Filter (CQL2)",
        "filter_help": "e.g. CASEI(name) LIKE '%mühle%' or ACCENTI(name) = ACCENTI('Muhle')",
        "apply": "Apply",
        "reset": "Reset",
        "as_json": "JSON",
        "as_geojson": "GeoJSON",
        "language": "Deutsch",
        "home": "Home",
        "map": "Map of the features on this page",
        "temporal": "Time span",
        "distance": "Distance (m)",
        "updated": "Updated",
    },
}


def title_of(definition: Any, lang: str) -> str:
    """The title in the requested language (German fallback)."""
    return str((lang == "en" and getattr(definition, "title_en", None)) or definition.title)


def description_of(definition: Any, lang: str) -> str:
    """The description in the requested language (German fallback)."""
    english = getattr(definition, "description_en", None)
    return str((lang == "en" and english) or definition.description)


def render(template: str, lang: str, **context: Any) -> Response:
    """Render ``templates/ogc/<template>`` with texts, URLs and the basemap settings."""
    settings = state().settings
    other = "de" if lang == "en" else "en"
    html = render_template(
        f"ogc/{template}",
        lang=lang,
        t=TEXTS[lang],
        base=base_url(),
        static=root_url() + "/static",
        lang_switch=current(lang=None if other == "de" else "en"),
        lang_param="en" if lang == "en" else None,
        basemap_url=settings.basemap_url,
        basemap_attribution=settings.basemap_attribution,
        **context,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = policy(
        script_hashes=inline_script_hashes(html), basemap_url=settings.basemap_url
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """CSP sources (``'sha256-…'``) of the page's inline scripts (``<script>`` without
    attributes), so that no other inline script can run."""
    return tuple(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in dict.fromkeys(_INLINE_SCRIPT.findall(html))
    )
