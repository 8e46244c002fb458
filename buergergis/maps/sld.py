"""A layer's style as OGC SLD 1.1 / Symbology Encoding 1.1, the format QGIS reads.

The rules come from the same ``style`` (and ``style.by_attribute`` classes) as the city map
and the MapLibre style (``maps.styling``): one rule per class with an ``ogc:Filter`` and, for
all other values, a rule with ``se:ElseFilter``. Namespaces and element order follow the SLD
1.1.0 and SE 1.1.0 schemas (the shape QGIS itself writes on "Export style as SLD").
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from buergergis.catalog.models import Style, StyleCategory, StyleRange
from buergergis.maps.styling import POINT_RADIUS

SLD = "http://www.opengis.net/sld"
SE = "http://www.opengis.net/se"
OGC = "http://www.opengis.net/ogc"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{SLD} http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"
MEDIA_TYPE = "application/vnd.ogc.sld+xml;version=1.1"

for _prefix, _uri in (("sld", SLD), ("se", SE), ("ogc", OGC), ("xlink", XLINK), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _sub(parent: ET.Element, ns: str, name: str, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, _q(ns, name))
    if text is not None:
        node.text = text
    return node


def _param(parent: ET.Element, name: str, value: str) -> None:
    _sub(parent, SE, "SvgParameter", value).set("name", name)


def _fill(parent: ET.Element, color: str, opacity: float) -> None:
    fill = _sub(parent, SE, "Fill")
    _param(fill, "fill", color)
    _param(fill, "fill-opacity", f"{opacity:g}")


def _stroke(parent: ET.Element, color: str, width: float) -> None:
    stroke = _sub(parent, SE, "Stroke")
    _param(stroke, "stroke", color)
    _param(stroke, "stroke-width", f"{width:g}")
    _param(stroke, "stroke-linejoin", "round")


def _symbolizer(rule: ET.Element, geometry: str | None, style: Style, color: str) -> None:
    """One symbolizer for the layer's geometry kind, in ``color``."""
    if geometry == "point":
        graphic = _sub(_sub(rule, SE, "PointSymbolizer"), SE, "Graphic")
        mark = _sub(graphic, SE, "Mark")
        _sub(mark, SE, "WellKnownName", "circle")
        _fill(mark, color, 1.0)
        _stroke(mark, "#ffffff", 1.5)
        _sub(graphic, SE, "Size", str(POINT_RADIUS * 2))
    elif geometry == "line":
        _stroke(_sub(rule, SE, "LineSymbolizer"), color, style.weight)
    else:
        symbolizer = _sub(rule, SE, "PolygonSymbolizer")
        _fill(symbolizer, color, style.fill_opacity)
        _stroke(symbolizer, color, style.weight)


def _compare(parent: ET.Element, op: str, attribute: str, literal: str) -> None:
    node = _sub(parent, OGC, op)
    _sub(node, OGC, "PropertyName", attribute)
    _sub(node, OGC, "Literal", literal)


def _category_filter(rule: ET.Element, attribute: str, item: StyleCategory) -> None:
    _compare(_sub(rule, OGC, "Filter"), "PropertyIsEqualTo", attribute, item.key)


def _range_filter(rule: ET.Element, attribute: str, item: StyleRange) -> None:
    tests = [("PropertyIsGreaterThanOrEqualTo", item.min), ("PropertyIsLessThan", item.max)]
    tests = [(op, bound) for op, bound in tests if bound is not None]
    parent = _sub(rule, OGC, "Filter")
    if len(tests) > 1:
        parent = _sub(parent, OGC, "And")
    for op, bound in tests:
        _compare(parent, op, attribute, f"{bound:g}")


def _rule(parent: ET.Element, name: str, title: str) -> ET.Element:
    rule = _sub(parent, SE, "Rule")
    _sub(rule, SE, "Name", name)
    _sub(_sub(rule, SE, "Description"), SE, "Title", title)
    return rule


def _add_rules(feature_style: ET.Element, style: Style, geometry: str | None) -> None:
    """One rule per class and an else-rule; without classes one rule for all features."""
    by = style.by_attribute
    base = style.fill or style.color if geometry == "polygon" else style.color
    if by is None:
        rule = _rule(feature_style, "default", "Alle Objekte")
        _symbolizer(rule, geometry, style, base)
        return
    for category in by.categories:
        rule = _rule(feature_style, category.key, category.label or category.key)
        _category_filter(rule, by.attribute, category)
        _symbolizer(rule, geometry, style, category.color)
    for item in by.ranges:
        rule = _rule(feature_style, item.label, item.label)
        _range_filter(rule, by.attribute, item)
        _symbolizer(rule, geometry, style, item.color)
    rule = _rule(feature_style, "andere", by.other_label or "Andere Werte")
    _sub(rule, SE, "ElseFilter")
    _symbolizer(rule, geometry, style, base)


def sld(layer_id: str, title: str, style: Style, geometry: str | None) -> bytes:
    """The SLD 1.1 document of one layer (UTF-8 with XML declaration)."""
    root = ET.Element(_q(SLD, "StyledLayerDescriptor"), {"version": "1.1.0"})
    root.set(_q(XSI, "schemaLocation"), SCHEMA_LOCATION)
    named = _sub(root, SLD, "NamedLayer")
    _sub(named, SE, "Name", layer_id)
    user_style = _sub(named, SLD, "UserStyle")
    _sub(user_style, SE, "Name", "default")
    _sub(_sub(user_style, SE, "Description"), SE, "Title", title)
    feature_style = _sub(user_style, SE, "FeatureTypeStyle")
    _add_rules(feature_style, style, geometry)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
