"""MapServer (Debian's python3-mapscript) as the WMS engine of the public layers.

One ``mapObj`` per process is built from the generated mapfile (:mod:`buergergis.ows.mapfile`)
with each vector layer's published SLD applied, and rebuilt when the catalog's layer versions
change (a load, an edit, publishing or deleting a layer gives a new version). Requests are
dispatched through ``OWSDispatch`` into a buffer on a clone of that ``mapObj`` (a request
changes the map object: projection, extent, layer states); dispatching is serialised per
process, as mapscript's output buffer and PROJ state are not safe to share between threads.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import Engine

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.errors import InvalidParameter, Unavailable
from buergergis.maps import sld
from buergergis.maps.styling import geometry_class
from buergergis.ows.mapfile import MapfileOptions, mapfile
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord, layer_versions, list_layers

#: Where Debian's python3-mapscript lives (built for the system Python 3.11, same ABI).
DEBIAN_MAPSCRIPT = Path("/usr/lib/python3/dist-packages/mapscript")
_import_lock = threading.Lock()


def load_mapscript() -> ModuleType:
    """The ``mapscript`` module: importable as is, else Debian's package by its path."""
    with _import_lock:
        if "mapscript" in sys.modules:
            return sys.modules["mapscript"]
        try:
            return importlib.import_module("mapscript")
        except ImportError:
            pass
        init = DEBIAN_MAPSCRIPT / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            "mapscript", init, submodule_search_locations=[str(DEBIAN_MAPSCRIPT)]
        )
        if spec is None or spec.loader is None or not init.exists():
            raise Unavailable(
                "Der Kartendienst (WMS) ist nicht eingerichtet: MapServer (python3-mapscript) fehlt."
            )
        module = importlib.util.module_from_spec(spec)
        sys.modules["mapscript"] = module
        try:
            spec.loader.exec_module(module)
        except ImportError as exc:
            del sys.modules["mapscript"]
            raise Unavailable(
                "Der Kartendienst (WMS) ist nicht eingerichtet: MapServer lässt sich nicht laden."
            ) from exc
        return module


@dataclass(frozen=True)
class OwsResponse:
    """What MapServer answered: media type and body."""

    content_type: str
    body: bytes


def colour_ramp(record: LayerRecord) -> list[tuple[float, float, str, str]]:
    """The raster layer's colour ramp as ``(low, high, colour, colour)`` steps (the same
    rio-tiler colormap and rescale range as its map tiles); empty for RGB and hillshade."""
    from buergergis.tiles.raster import _colormap, style_of

    if (
        not isinstance(record.definition, RasterLayer)
        or record.definition.raster.mode != "colormap"
    ):
        return []
    style = style_of(record)
    colours = _colormap(style.colormap)
    low, high = style.rescale
    steps = 16
    ramp = []
    for i in range(steps):
        a, b = colours[i * 255 // steps], colours[(i + 1) * 255 // steps]
        v0 = low + (high - low) * i / steps
        v1 = low + (high - low) * (i + 1) / steps
        ramp.append((v0, v1, _hex(a), _hex(b)))
    return ramp


def _content_type(raw: bytes) -> tuple[str, bytes]:
    """Split MapServer's ``Content-Type: …`` header lines from the body."""
    if not raw.startswith(b"Content-"):
        return "text/xml", raw
    head, _, body = raw.partition(b"\r\n\r\n")
    content_type = "text/xml"
    for line in head.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-type":
            content_type = value.strip()
    return content_type, body


def _hex(rgba: Sequence[int]) -> str:
    return '"#{:02x}{:02x}{:02x}"'.format(*rgba[:3])


def _rule_titles(document: bytes) -> list[str]:
    root = ET.fromstring(document)
    titles = []
    for rule in root.iter(f"{{{sld.SE}}}Rule"):
        title = rule.find(f"{{{sld.SE}}}Description/{{{sld.SE}}}Title")
        titles.append(title.text if title is not None and title.text else "")
    return titles


def apply_style(mapscript: ModuleType, layer: Any, record: LayerRecord) -> None:
    """Give a MapServer layer the classes of the layer's published SLD (legend titles too)."""
    definition = record.definition
    assert isinstance(definition, VectorLayer)
    document = sld.sld(
        record.id, definition.title, definition.style, geometry_class(record.geometry_type)
    )
    layer.applySLD(document.decode("utf-8"), record.id)
    for index, title in enumerate(_rule_titles(document)[: layer.numclasses]):
        layer.getClass(index).title = title
        layer.getClass(index).name = title


class MapEngine:
    """The per-process MapServer map of all public layers, rebuilt on catalog changes."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.mapscript = load_mapscript()
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, int], ...] | None = None
        self._map: Any = None
        self._records: dict[str, LayerRecord] = {}

    def records(self) -> dict[str, LayerRecord]:
        """The public, loaded layers the map serves, by id (current)."""
        self._current()
        return self._records

    def _current(self) -> Any:
        with self.engine.connect() as conn:
            key = tuple(sorted(layer_versions(conn).items()))
            if key == self._key:
                return self._map
            records = list_layers(conn)
        with self._lock:
            if key != self._key:
                self._map = self._build(records)
                self._records = {r.id: r for r in records}
                self._key = key
            return self._map

    def _build(self, records: Iterable[LayerRecord]) -> Any:
        shown = [r for r in records if r.public and r.loaded]
        ramps = {r.id: colour_ramp(r) for r in shown if r.kind == "raster"}
        options = MapfileOptions(self.settings.libpq_url(), "http://localhost/wms")
        ms = self.mapscript
        map_obj = ms.fromstring(mapfile(shown, options, ramps))
        for record in shown:
            if record.kind == "vector":
                apply_style(ms, map_obj.getLayerByName(record.id), record)
        return map_obj

    def dispatch(self, params: Iterable[tuple[str, str]], online_resource: str) -> OwsResponse:
        """Run one OGC request (decoded key/value pairs) through MapServer."""
        ms = self.mapscript
        request = ms.OWSRequest()
        for name, value in params:
            request.setParameter(name, value)
        template = self._current()
        with self._lock:  # a request changes the map object: each gets its own copy
            map_obj = template.clone()
            map_obj.web.metadata.set("wms_onlineresource", online_resource)
            ms.msIO_installStdoutToBuffer()
            try:
                try:
                    map_obj.OWSDispatch(request)
                except ms.MapServerError:
                    pass  # the OGC exception report is in the buffer
                finally:
                    ms.msResetErrorList()
                content_type, body = _content_type(bytes(ms.msIO_getStdoutBufferBytes()))
            finally:
                ms.msIO_resetHandlers()
        if not body:
            raise InvalidParameter("Diese Anfrage versteht der Kartendienst nicht (SERVICE=WMS?).")
        return OwsResponse(content_type, body)

    def render(self, layers: Sequence[str], crs: str, bbox: Sequence[float], size: int) -> bytes:
        """A PNG of ``layers`` for ``bbox`` in ``crs`` (WMTS tiles), ``size`` pixels square."""
        params = [
            ("SERVICE", "WMS"),
            ("VERSION", "1.3.0"),
            ("REQUEST", "GetMap"),
            ("LAYERS", ",".join(layers)),
            ("STYLES", ""),
            ("CRS", crs),
            ("BBOX", ",".join(f"{v:.6f}" for v in bbox)),
            ("WIDTH", str(size)),
            ("HEIGHT", str(size)),
            ("FORMAT", "image/png"),
            ("TRANSPARENT", "TRUE"),
        ]
        answer = self.dispatch(params, "http://localhost/wms")
        if not answer.content_type.startswith("image/"):
            raise Unavailable("Die Kachel konnte nicht gezeichnet werden.")
        return answer.body
