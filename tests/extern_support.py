"""External layer definitions for tests against the test authority (tests/upstream_support.py)
and an app that knows them. Layer ids start with ``ext-`` (no other test or layer uses them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from buergergis import create_app
from buergergis.settings import Settings
from tests.server_support import free_port
from tests.upstream_support import Upstream

FLOOD = "ext-ueberschwemmung"
TERRAIN = "ext-gelaende"
SLOW = "ext-langsam"
DOWN = "ext-ausfall"
FOREIGN = "ext-fremd"
XYZ = "ext-kacheln"
WMTS = "ext-wmts"
TEMPLATE = "liegt im festgesetzten Überschwemmungsgebiet der {gewaesser}"
#: Upstream timeout of the test apps: the slow upstream answers only after 8 s.
TIMEOUT_S = 4.0


def definitions(upstream: Upstream) -> dict[str, dict[str, Any]]:
    """The test layers: flood zone (with legend and GetFeatureInfo), terrain, a slow one,
    one whose upstream is down and one on a host outside the allow-list."""
    info = {"template": TEMPLATE}
    base = {"kind": "external", "category": "Umwelt", "license": "dl-de/by-2-0"}
    return {
        FLOOD: {**base, "id": FLOOD, "title": "Überschwemmungsgebiet Weser",
                "attribution": "NLWKN (Testdienst)",
                "extern": {"type": "wms", "url": upstream.url, "layers": ["ueberschwemmung"],
                           "legend": True, "featureinfo": info}},
        TERRAIN: {**base, "id": TERRAIN, "title": "Gelände (extern)", "attribution": "LGLN (Test)",
                  "extern": {"type": "wms", "url": upstream.url, "layers": ["gelaende"],
                             "format": "image/jpeg"}},
        SLOW: {**base, "id": SLOW, "title": "Langsamer Dienst", "attribution": "Langsam (Test)",
               "extern": {"type": "wms", "url": upstream.slow_url, "layers": ["ueberschwemmung"],
                          "featureinfo": info}},
        DOWN: {**base, "id": DOWN, "title": "Ausgefallener Dienst", "attribution": "Aus (Test)",
               "extern": {"type": "xyz",
                          "url": f"http://127.0.0.2:{free_port()}/tiles/{{z}}/{{x}}/{{y}}.png"}},
        # MapServer's tile mode (Google XYZ order) as an XYZ and as a RESTful-WMTS-like service
        XYZ: {**base, "id": XYZ, "title": "Kacheldienst (XYZ)", "attribution": "XYZ (Test)",
              "extern": {"type": "xyz", "url": f"{upstream.url}?mode=tile&tilemode=gmap"
                         "&tile={x}+{y}+{z}&layers=ueberschwemmung"}},
        WMTS: {**base, "id": WMTS, "title": "Kacheldienst (WMTS)", "attribution": "WMTS (Test)",
               "extern": {"type": "wmts", "layers": ["ueberschwemmung"],
                          "url": f"{upstream.url}?mode=tile&tilemode=gmap"
                          "&tile={TileCol}+{TileRow}+{TileMatrix}&layers={Layer}"}},
        FOREIGN: {**base, "id": FOREIGN, "title": "Fremder Dienst", "attribution": "Fremd",
                  "extern": {"type": "wms", "url": "http://127.0.0.3:8080/wms",
                             "layers": ["x"]}},
    }  # fmt: skip


def write_layers(folder: Path, upstream: Upstream) -> Path:
    """Write the definitions as ``<id>.yaml`` into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    for layer_id, data in definitions(upstream).items():
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / f"{layer_id}.yaml").write_text(text, encoding="utf-8")
    return folder


def extern_config(settings: Settings, root: Path, upstream: Upstream) -> dict[str, Any]:
    """App configuration: the session database, these layers, 127.0.0.2 allowed."""
    return {
        "database_url": settings.database_url,
        "var_dir": settings.var,
        "secret_key": "test-secret",
        "layers_dir": str(write_layers(root / "layers", upstream)),
        "shared_dir": str(root / "shared"),
        "extern_hosts": "127.0.0.2",
        "extern_timeout_s": TIMEOUT_S,
    }


def extern_app(settings: Settings, root: Path, upstream: Upstream, **extra: Any) -> Flask:
    """The app with the external test layers."""
    app = create_app({**extern_config(settings, root, upstream), **extra})
    app.config["TESTING"] = True
    return app
