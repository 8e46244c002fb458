"""The metadata record of each public layer, written from the catalog on request.

A record is a pygeometa MCF (title, abstract, keywords, extent, CRS, licence, contact, update
date, links to OGC API, WMS, WMTS and downloads); pygeometa writes it as ISO 19139 (what
GDI-DE and INSPIRE harvesters read via CSW) — the catalogue (pycsw) indexes that XML.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pygeometa.schemas.iso19139 import ISO19139OutputSchema

from buergergis.ows.metadata import CONTACT, WMS_CRS, licence_name, licence_text, licence_url
from buergergis.store.catalog import LayerRecord

#: Prefix of record identifiers (stable: a layer id is a slug and never reused for another).
ID_PREFIX = "de.hameln.buergergis."
#: Categories of the catalog → ISO topic categories.
TOPICS = {
    "Basisdaten": "planningCadastre",
    "Familie & Bildung": "society",
    "Umwelt & Natur": "environment",
    "Verkehr": "transportation",
}


def record_id(layer_id: str) -> str:
    """The metadata identifier of a layer."""
    return ID_PREFIX + layer_id


def _contact() -> dict[str, str]:
    c = CONTACT
    return {
        "organization": c.organisation,
        "individualname": c.unit,
        "positionname": c.position,
        "phone": c.phone,
        "address": c.street,
        "city": c.city,
        "administrativearea": c.region,
        "postalcode": c.postcode,
        "country": c.country,
        "email": c.email,
    }


def _updated(record: LayerRecord) -> str:
    when = record.loaded_at or datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _links(record: LayerRecord, base_url: str) -> dict[str, dict[str, str]]:
    layer_id, title = record.id, record.definition.title
    links = {
        "wms": {
            "url": f"{base_url}/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0",
            "type": "OGC:WMS",
            "name": layer_id,
            "description": f"{title} als WMS 1.3.0",
            "function": "information",
        },
        "wmts": {
            "url": f"{base_url}/wmts/1.0.0/WMTSCapabilities.xml",
            "type": "OGC:WMTS",
            "name": layer_id,
            "description": f"{title} als WMTS 1.0.0",
            "function": "information",
        },
    }
    if record.kind == "vector":
        links["ogcapi"] = {
            "url": f"{base_url}/ogc/collections/{layer_id}",
            "type": "OGC:API-Features",
            "name": layer_id,
            "description": f"{title} über OGC API – Features",
            "function": "information",
        }
        links["download"] = {
            "url": f"{base_url}/ogc/collections/{layer_id}/items?f=json&limit=10000",
            "type": "WWW:DOWNLOAD-1.0-http--download",
            "name": f"{layer_id}.geojson",
            "description": f"{title} als GeoJSON herunterladen",
            "function": "download",
        }
    return links


def mcf(record: LayerRecord, base_url: str) -> dict[str, Any]:
    """The pygeometa MCF of one layer."""
    d = record.definition
    updated = _updated(record)
    west, south, east, north = record.bbox or (9.27, 52.04, 9.48, 52.17)
    rights = licence_text(d.license, d.attribution)
    return {
        "mcf": {"version": "1.0"},
        "metadata": {
            "identifier": record_id(record.id),
            "language": "ger",
            "charset": "utf8",
            "hierarchylevel": "dataset",
            "datestamp": updated,
            "dataseturi": f"{base_url}/ogc/collections/{record.id}",
        },
        "spatial": {
            "datatype": "vector" if record.kind == "vector" else "grid",
            "geomtype": "composite",
        },
        "identification": {
            "language": "ger",
            "charset": "utf8",
            "title": d.title,
            "abstract": d.description or d.title,
            "dates": {"revision": updated, **({"creation": d.data_date} if d.data_date else {})},
            "keywords": {
                "default": {"keywords": list(d.keywords) or [d.category], "keywords_type": "theme"},
                "category": {"keywords": [d.category], "keywords_type": "theme"},
            },
            "topiccategory": [TOPICS.get(d.category, "location")],
            "extents": {
                "spatial": [{"bbox": [west, south, east, north], "crs": 4326}],
            },
            "fees": "keine",
            "accessconstraints": "otherRestrictions",
            "rights": rights,
            "license": {"name": licence_name(d.license), "url": licence_url(d.license) or ""},
            "url": licence_url(d.license) or f"{base_url}/ogc/collections/{record.id}",
            "status": "onGoing",
            "maintenancefrequency": "continual",
        },
        "contact": {
            "custodian": _contact(),
            "pointOfContact": _contact(),
            "distributor": _contact(),
        },
        "distribution": _links(record, base_url),
        "referencesystem": [c.split(":")[1] for c in WMS_CRS],
    }


def iso19139(record: LayerRecord, base_url: str) -> str:
    """The ISO 19139 XML of one layer's record."""
    return str(ISO19139OutputSchema().write(mcf(record, base_url)))


def public_records(records: Sequence[LayerRecord]) -> list[LayerRecord]:
    """The layers that have a published record: public and loaded."""
    return [r for r in records if r.public and r.loaded]
