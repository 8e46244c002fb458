"""WMS GetFeatureInfo as text/html and application/json.

MapServer finds the features at the clicked pixel (its own tolerance and symbol hit test) and
answers in its GML (``application/vnd.ogc.gml``); this module reads that answer into typed
features with the layer's German attribute labels, for the HTML page and the GeoJSON body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from buergergis.catalog.models import Attribute
from buergergis.store.catalog import LayerRecord

GML_FORMAT = "application/vnd.ogc.gml"
FORMATS = ("text/html", "application/json")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class InfoField:
    """One attribute of a hit: name, German label and typed value."""

    name: str
    label: str
    value: Any


@dataclass(frozen=True)
class InfoFeature:
    """One feature at the clicked point."""

    layer_id: str
    layer_title: str
    fid: str
    fields: tuple[InfoField, ...]


def _typed(attribute: Attribute, text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        if attribute.type == "integer":
            return int(float(text))
        if attribute.type == "float":
            return float(text)
    except ValueError:
        return text
    if attribute.type == "boolean":
        return text.lower() in {"t", "true", "1"}
    return text


def parse_gml(body: bytes, records: dict[str, LayerRecord]) -> list[InfoFeature]:
    """The features of MapServer's GML answer, in its order, only of layers in ``records``."""
    root = etree.fromstring(body, _PARSER)  # parser without entities
    features = []
    for layer_node in root:
        layer_id = etree.QName(layer_node).localname.removesuffix("_layer")
        record = records.get(layer_id)
        if record is None:
            continue
        for node in layer_node:
            if not etree.QName(node).localname.endswith("_feature"):
                continue  # gml:name of the layer
            values = {etree.QName(c).localname: c.text for c in node if len(c) == 0}
            fields = tuple(
                InfoField(a.name, a.title or a.name, _typed(a, values.get(a.name)))
                for a in record.attributes
            )
            fid = values.get("fid") or ""
            features.append(InfoFeature(layer_id, record.definition.title, fid, fields))
    return features


def geojson(features: list[InfoFeature], base_url: str) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the hits (properties only; geometry via the link)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f.fid,
                "geometry": None,
                "properties": {field.name: field.value for field in f.fields},
                "layer": f.layer_id,
                "links": [
                    {
                        "rel": "self",
                        "type": "application/geo+json",
                        "href": f"{base_url}/ogc/collections/{f.layer_id}/items/{f.fid}",
                    }
                ],
            }
            for f in features
        ],
    }
