"""MapProxy's configuration, generated from the external layer definitions.

One MapProxy layer per external layer, named by its id: a cache in the Web-Mercator grid
(``GLOBAL_WEBMERCATOR``, XYZ order) on disk under ``<shared>/cache/extern/<id>`` and one
source — ``wms`` for WMS, ``tile`` for WMTS (RESTful) and XYZ. The services are MapProxy's
TMS (tiles, read as XYZ) and WMS (GetLegendGraphic). Timeouts come from the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buergergis.catalog.models import ExternalLayer

GRID = "GLOBAL_WEBMERCATOR"
#: One upstream GetMap renders 2×2 tiles plus a 32 px border (labels cut at tile edges are
#: drawn whole): 576 px images, cheap enough for a small authority's server.
META_SIZE, META_BUFFER = (2, 2), 32
#: MapProxy's WMS source should ask the upstream in these systems (first: Web Mercator).
WMS_SRS = ("EPSG:3857", "EPSG:25832", "EPSG:4326")


def cache_dir(shared: Path) -> Path:
    """Where external tiles are cached (shared by all app hosts)."""
    return shared / "cache" / "extern"


def _tile_url(layer: ExternalLayer) -> str:
    """A WMTS/XYZ template in MapProxy's ``%(z)s`` notation."""
    service = layer.extern

    def esc(value: str) -> str:
        return value.replace("%", "%%")

    values = {"z": "%(z)s", "x": "%(x)s", "y": "%(y)s"}
    values |= {"TileMatrix": "%(z)s", "TileCol": "%(x)s", "TileRow": "%(y)s"}
    values |= {
        "Layer": esc(service.layers[0] if service.layers else ""),
        "Style": esc(service.style),
    }
    values |= {"TileMatrixSet": esc(service.matrix_set)}
    return esc(service.url).format(**values)


def _source(layer: ExternalLayer, timeout_s: float) -> dict[str, Any]:
    service = layer.extern
    http = {"client_timeout": timeout_s}
    if service.type == "wms":
        return {
            "type": "wms",
            "req": {
                "url": service.url,
                "layers": ",".join(service.layers),
                "styles": service.style,
                "format": service.format,
                "transparent": service.format == "image/png",
            },
            "wms_opts": {"version": service.version, "legendgraphic": service.legend},
            "supported_srs": list(WMS_SRS),
            "http": http,
        }
    return {"type": "tile", "url": _tile_url(layer), "grid": GRID, "http": http}


def build(
    layers: tuple[ExternalLayer, ...], shared: Path, timeout_s: float, refresh_hours: float
) -> dict[str, Any]:
    """The whole MapProxy configuration as a dict (written as YAML by the proxy); cached
    tiles older than ``refresh_hours`` are fetched again."""
    root = cache_dir(shared)
    conf: dict[str, Any] = {
        "services": {
            "tms": {"use_grid_names": True, "origin": "nw"},
            "wms": {"md": {"title": "BürgerGIS – externe Dienste"}, "srs": ["EPSG:3857"]},
        },
        "globals": {
            "cache": {
                "base_dir": str(root),
                "lock_dir": str(root / "locks"),
                "meta_size": list(META_SIZE),
                "meta_buffer": META_BUFFER,
            },
            "http": {"client_timeout": timeout_s, "hide_error_details": True},
            "image": {"paletted": False},
        },
        "layers": [],
        "caches": {},
        "sources": {},
    }
    for layer in layers:
        conf["layers"].append(
            {"name": layer.id, "title": layer.title, "sources": [f"{layer.id}_cache"]}
        )
        conf["caches"][f"{layer.id}_cache"] = {
            "grids": [GRID],
            "sources": [f"{layer.id}_source"],
            "format": layer.extern.format,
            "request_format": layer.extern.format,
            "cache": {"type": "file", "directory_layout": "tms", "directory": str(root / layer.id)},
            "refresh_before": {"hours": refresh_hours},
        }
        conf["sources"][f"{layer.id}_source"] = _source(layer, timeout_s)
    return conf
