"""GetFeatureInfo of external WMS layers at a point, as readable German text.

Asked server-side (the citizen's browser never contacts the authority) through the guard of
:mod:`buergergis.extern.guard` — allowed hosts only, timeout, size limit. The layers are
asked in parallel; a failing service yields "Dienst nicht erreichbar" for that layer only.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from lxml import etree

from buergergis.catalog.external import FeatureInfo
from buergergis.catalog.models import ExternalLayer
from buergergis.extern.guard import Policy, opener

log = logging.getLogger("buergergis.extern")
UNAVAILABLE = "Dienst nicht erreichbar"
#: Half the side of the asked box in metres (Web Mercator), pixels across it.
HALF_M, PIXELS = 25.0, 51
MAX_FEATURES = 10
MAX_TEXT = 500
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_TEXT_PAIR = re.compile(r"^\s*([A-Za-z_][\w.:-]*)\s*=\s*'?(.*?)'?\s*$")


@dataclass(frozen=True)
class Answer:
    """What one external layer says about the point."""

    layer_id: str
    title: str
    attribution: str
    lines: tuple[str, ...]
    ok: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``/mein-ort.json``)."""
        return {"layer": self.layer_id, "title": self.title, "attribution": self.attribution,
                "text": list(self.lines), "ok": self.ok}  # fmt: skip


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 degrees → EPSG:3857 metres."""
    x = lon * 20037508.342789244 / 180.0
    y = math.log(math.tan((90.0 + lat) * math.pi / 360.0)) * 6378137.0
    return x, y


def request_url(layer: ExternalLayer, lon: float, lat: float) -> str:
    """The GetFeatureInfo URL for a point (EPSG:3857, a small box around it)."""
    service, info = layer.extern, layer.extern.featureinfo
    assert info is not None
    x, y = mercator(lon, lat)
    centre = PIXELS // 2
    params = {
        "SERVICE": "WMS",
        "VERSION": service.version,
        "REQUEST": "GetFeatureInfo",
        "LAYERS": ",".join(service.layers),
        "QUERY_LAYERS": ",".join(info.layers or service.layers),
        "STYLES": service.style,
        "BBOX": f"{x - HALF_M},{y - HALF_M},{x + HALF_M},{y + HALF_M}",
        "WIDTH": str(PIXELS),
        "HEIGHT": str(PIXELS),
        "INFO_FORMAT": info.format,
        "FEATURE_COUNT": str(MAX_FEATURES),
        "FORMAT": service.format,
    }
    if service.version == "1.3.0":
        params |= {"CRS": "EPSG:3857", "I": str(centre), "J": str(centre)}
    else:
        params |= {"SRS": "EPSG:3857", "X": str(centre), "Y": str(centre)}
    parts = urlsplit(service.url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _gml_features(body: bytes) -> list[dict[str, str]]:
    """Features of MapServer (``*_feature``) and GeoServer/WFS (``featureMember``) GML."""
    root = etree.fromstring(body, _PARSER)
    found = []
    for element in root.iter():
        name, parent = _local(element.tag), element.getparent()
        member = parent is not None and _local(parent.tag) in {"featureMember", "featureMembers"}
        if name.endswith("_feature") or member:
            props = {
                _local(child.tag): (child.text or "").strip()
                for child in element
                if len(child) == 0 and etree.QName(child).namespace != "http://www.opengis.net/gml"
            }
            found.append(props)
    return found[:MAX_FEATURES]


def _json_features(body: bytes) -> list[dict[str, str]]:
    data = json.loads(body)
    features = data.get("features", []) if isinstance(data, dict) else []
    return [
        {str(k): "" if v is None else str(v) for k, v in (f.get("properties") or {}).items()}
        for f in features[:MAX_FEATURES]
        if isinstance(f, dict)
    ]


def _text_features(body: bytes) -> list[dict[str, str]]:
    pairs = [_TEXT_PAIR.match(line) for line in body.decode("utf-8", "replace").splitlines()]
    props = {m.group(1): m.group(2) for m in pairs if m}
    return [props] if props else []


def features(info: FeatureInfo, body: bytes) -> list[dict[str, str]]:
    """The features of a GetFeatureInfo answer as flat properties."""
    if info.format == "application/json":
        return _json_features(body)
    if info.format == "text/plain":
        return _text_features(body)
    return _gml_features(body)


def readable(info: FeatureInfo, found: list[dict[str, str]]) -> tuple[str, ...]:
    """One line per feature (template or ``feld: wert``), duplicates once; ``empty`` if none."""
    lines: list[str] = []
    for props in found:
        if info.template:
            values = defaultdict(lambda: "–", {k: v for k, v in props.items() if v})
            line = info.template.format_map(values)
        else:
            names = info.fields or tuple(props)
            line = ", ".join(f"{n}: {props[n]}" for n in names if props.get(n))
        line = line.strip()[:MAX_TEXT]
        if line and line not in lines:
            lines.append(line)
    if not lines and info.empty:
        lines.append(info.empty)
    return tuple(lines)


def ask(layer: ExternalLayer, lon: float, lat: float, policy: Policy) -> Answer:
    """Ask one external WMS about the point."""
    info = layer.extern.featureinfo
    assert info is not None
    try:
        with opener(policy).open(request_url(layer, lon, lat), timeout=policy.timeout_s) as resp:
            body = resp.read()
        lines = readable(info, features(info, body))
    except Exception as exc:
        log.warning("extern %s: GetFeatureInfo: %s: %s", layer.id, UNAVAILABLE, exc)
        return Answer(layer.id, layer.title, layer.attribution, (UNAVAILABLE,), ok=False)
    return Answer(layer.id, layer.title, layer.attribution, lines)


def answers(
    layers: tuple[ExternalLayer, ...], lon: float, lat: float, policy: Policy
) -> list[Answer]:
    """The answers of every external WMS with ``featureinfo``, in definition order; layers
    that find nothing (and define no ``empty`` text) are left out."""
    asked = [la for la in layers if la.extern.featureinfo is not None]
    if not asked:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(asked))) as pool:
        results = list(pool.map(lambda la: ask(la, lon, lat, policy), asked))
    return [a for a in results if a.lines]
