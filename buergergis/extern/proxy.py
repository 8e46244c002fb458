"""Tiles and legends of external layers through MapProxy, run in-process.

MapProxy is built once per app from the generated configuration
(:mod:`buergergis.extern.mapproxy_conf`) and called as a WSGI application with a synthetic
request — no second server, no HTTP hop: a cache hit is a file read inside MapProxy. Whatever
goes wrong upstream (refused, timeout, too large, not an image) becomes
:class:`Image` with ``ok=False`` and the "Dienst nicht erreichbar" tile, so the rest of the
map keeps working.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from buergergis.errors import NotFound
from buergergis.extern import mapproxy_conf
from buergergis.extern.guard import Policy, active, guard_mapproxy
from buergergis.extern.registry import Registry

log = logging.getLogger("buergergis.extern")
UNAVAILABLE = "Dienst nicht erreichbar"
TILE_SIZE = 256


@dataclass(frozen=True)
class Image:
    """An image for the browser; ``ok=False``: the upstream failed (``body`` is the notice)."""

    body: bytes
    content_type: str
    ok: bool


@lru_cache(maxsize=4)
def unavailable_tile(text: str = UNAVAILABLE) -> bytes:
    """A translucent 256 px PNG with the notice, drawn once per process."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    tile = PILImage.new("RGBA", (TILE_SIZE, TILE_SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(tile)
    draw.rectangle((1, 1, TILE_SIZE - 2, TILE_SIZE - 2), outline=(180, 40, 40, 200), width=2)
    box = (16, 104, TILE_SIZE - 16, 152)
    draw.rounded_rectangle(box, radius=6, fill=(255, 255, 255, 230), outline=(180, 40, 40, 255))
    draw.text((TILE_SIZE // 2, 128), text, fill=(150, 20, 20, 255), anchor="mm", font_size=17)
    out = io.BytesIO()
    tile.save(out, format="PNG", optimize=True)
    return out.getvalue()


class ExternalProxy:
    """MapProxy for the registry's layers (built lazily, once, thread-safe)."""

    def __init__(
        self, registry: Registry, shared: Path, policy: Policy, refresh_hours: float = 168
    ) -> None:
        self.registry = registry
        self.shared = shared
        self.policy = policy
        self.refresh_hours = refresh_hours
        self._app: Any = None
        self._lock = threading.Lock()
        self._last_ok: dict[str, bool] = {}  # per layer: did the last upstream answer work?

    def _mapproxy(self) -> Any:
        with self._lock:
            if self._app is None:
                self._app = self._build()
            return self._app

    def _build(self) -> Any:
        from mapproxy.config.loader import load_configuration
        from mapproxy.wsgiapp import MapProxyApp

        conf = mapproxy_conf.build(
            self.registry.public, self.shared, self.policy.timeout_s, self.refresh_hours
        )
        folder = mapproxy_conf.cache_dir(self.shared)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "mapproxy.yaml"
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(yaml.safe_dump(conf, allow_unicode=True, sort_keys=False), encoding="utf-8")
        tmp.replace(path)  # several processes may write it; each writes the same text
        loaded = load_configuration(mapproxy_conf=str(path))
        app = MapProxyApp(loaded.configured_services(), loaded.base_config)
        guard_mapproxy(self.policy)  # after the sources have built their URL openers
        return app

    def _call(self, path: str, query: str = "") -> tuple[int, str, bytes]:
        """One GET through MapProxy: (status, content type, body)."""
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "buergergis",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "buergergis",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            started["status"], started["headers"] = status, dict(headers)

        app = self._mapproxy()
        with active(self.policy):
            chunks = app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()
        status = int(str(started.get("status", "500")).split()[0])
        headers = {k.lower(): v for k, v in started.get("headers", {}).items()}
        return status, headers.get("content-type", ""), body

    def _image(self, layer_id: str, path: str, query: str = "") -> Image:
        try:
            status, content_type, body = self._call(path, query)
        except Exception:  # MapProxy turns upstream errors into responses; this is a bug guard
            log.exception("extern %s: MapProxy-Fehler", layer_id)
            status, content_type, body = 500, "", b""
        ok = status == 200 and content_type.startswith("image/")
        self._last_ok[layer_id] = ok
        if ok:
            return Image(body, content_type, True)
        log.warning(
            "extern %s: %s (%s)", layer_id, UNAVAILABLE, body[:200].decode("utf-8", "replace")
        )
        return Image(unavailable_tile(), "image/png", False)

    def require(self, layer_id: str) -> None:
        """404 for ids that are not a public external layer."""
        if self.registry.get(layer_id[:200]) is None:
            raise NotFound(f"Die externe Ebene '{layer_id[:60]}' gibt es nicht.")

    def tile(self, layer_id: str, z: int, x: int, y: int) -> Image:
        """One 256 px Web-Mercator tile (XYZ), from MapProxy's cache or the upstream."""
        self.require(layer_id)
        layer = self.registry.get(layer_id)
        assert layer is not None
        if not (layer.minzoom <= z <= layer.maxzoom and 0 <= x < 2**z and 0 <= y < 2**z):
            raise NotFound("Diese Kachel gibt es nicht.")
        ext = "jpeg" if layer.extern.format == "image/jpeg" else "png"
        path = f"/tiles/1.0.0/{layer_id}/{mapproxy_conf.GRID}/{z}/{x}/{y}.{ext}"
        return self._image(layer_id, path)

    def reachable(self, layer_id: str) -> bool:
        """Whether the last tile or legend of the layer came through (this process; ``True``
        before the first request)."""
        self.require(layer_id)
        return self._last_ok.get(layer_id, True)

    def legend(self, layer_id: str) -> Image:
        """The legend image (GetLegendGraphic of the upstream WMS, cached by MapProxy)."""
        self.require(layer_id)
        layer = self.registry.get(layer_id)
        if layer is None or not layer.extern.legend:
            raise NotFound("Für diese Ebene gibt es keine Legende.")
        query = urlencode(
            {
                "SERVICE": "WMS",
                "VERSION": "1.1.1",
                "REQUEST": "GetLegendGraphic",
                "LAYER": layer_id,
                "FORMAT": "image/png",
                "SLD_VERSION": "1.1.0",
            }
        )
        return self._image(layer_id, "/service", query)
