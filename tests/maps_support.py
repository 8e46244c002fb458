"""Helpers for the map tests: a probe layer, WSGI servers on loopback, a second origin.

``load_probe_layer`` writes a small GeoJSON with Umlaute, accents and HTML in attribute values
and loads it through the real pipeline (idempotent per database). ``serve`` runs a WSGI app
in a thread on a free port; ``helper_app`` is the "other origin": basemap tiles and pages
that put the embed into an iframe.
"""

from __future__ import annotations

import base64
import contextlib
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import Engine, text
from werkzeug.serving import make_server

from buergergis.catalog.models import Attribute, Source, Style, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings

PROBE_ID = "maps-probe"
XSS_NAME = "<script>window.__xss=1</script>Café Ölmühle"
#: (nr, name, beschreibung, strasse, webseite, lon, lat)
PROBE_ROWS = [
    (
        "p1",
        "Grüße aus Hameln",
        "Öffnungszeiten: Mo–Fr 8–12 Uhr",
        "Mühlenstraße 5",
        "https://www.hameln.de/",
        9.3571,
        52.1035,
    ),
    (
        "p2",
        XSS_NAME,
        '<img src=x onerror="window.__xss=2">',
        "Bäckerstraße 1",
        None,
        9.3602,
        52.1049,
    ),
    ("p3", "Crème Brûlée Bistro", "Französische Küche", "Émile-Zola-Weg 3", None, 9.3650, 52.1010),
    ("p4", "Ärztehaus Nord", "Praxis", "Deisterallee 9", None, 9.3700, 52.1150),
    ("p5", "Zahnarzt Süd", "Praxis", "Süntelstraße 2", None, 9.3500, 52.0950),
    ("p6", "apotheke am markt", "Apotheke", "Markt 7", None, 9.3580, 52.1040),
]
_loaded: set[str] = set()

PNG_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


def probe_definition(path: Path) -> VectorLayer:
    """The probe layer's definition (points, popup with a URL field, search fields)."""
    return VectorLayer(
        id=PROBE_ID,
        title="Prüfebene Mühlen & Cafés",
        title_en="Probe layer mills & cafés",
        description="Testdaten mit Umlauten und HTML in Werten.",
        category="Sonstiges",
        source=Source(path=str(path), format="geojson"),
        id_column="nr",
        attributes=(
            Attribute(name="nr", title="Nummer"),
            Attribute(name="name", title="Name"),
            Attribute(name="beschreibung", title="Beschreibung"),
            Attribute(name="strasse", title="Straße", title_en="Street"),
            Attribute(name="webseite", title="Webseite"),
        ),
        style=Style(color="#aa3377", label="name", icon="mug-hot"),
        popup=("name", "beschreibung", "strasse", "webseite"),
        search=("name", "strasse"),
    )


def _geojson(path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {
                "nr": nr,
                "name": name,
                "beschreibung": desc,
                "strasse": street,
                "webseite": url,
            },
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for nr, name, desc, street, url, lon, lat in PROBE_ROWS
    ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )


def load_probe_layer(engine: Engine, settings: Settings) -> str:
    """Load the probe layer once per database; returns its id."""
    key = str(engine.url)
    if key in _loaded:
        return PROBE_ID
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT version > 0 FROM buergergis.layer WHERE id = :id"), {"id": PROBE_ID}
        ).scalar()
    if not exists:
        path = Path(tempfile.mkdtemp(prefix="maps-probe-")) / "probe.geojson"
        _geojson(path)
        load_layer(engine, settings, probe_definition(path))
    _loaded.add(key)
    return PROBE_ID


class _Dispatch:
    """A WSGI app whose target is set after the server knows its port."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@contextlib.contextmanager
def serve(factory: Callable[[str], Callable[..., Any]], host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``factory(base_url)`` in a thread on a free port; yields the base URL."""
    dispatch = _Dispatch()
    server = make_server(host, 0, dispatch, threaded=True)
    url = f"http://{host}:{server.server_port}"
    dispatch.app = factory(url)
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{url}", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


HOST_PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>hameln.de (Test)</title><link rel="icon" href="data:,"></head>
<body style="margin:0">
<h1>Eine Seite auf hameln.de</h1>
<p style="height:400px">Text vor der Karte.</p>
<iframe id="embed" src="{src}" title="Stadtkarte" width="600" height="400" style="border:0"></iframe>
<p style="height:1600px">Text nach der Karte.</p>
</body></html>"""


def helper_app(tile_hits: list[str]) -> Callable[..., Any]:
    """The other origin: ``/tiles/{z}/{x}/{y}.png`` (a 1-pixel PNG) and ``/host?src=…``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/tiles/"):
            tile_hits.append(path)
            start_response("200 OK", [("Content-Type", "image/png"), ("Cache-Control", "no-store")])
            return [PNG_TILE]
        if path == "/host":
            src = parse_qs(environ.get("QUERY_STRING", "")).get("src", [""])[0]
            body = HOST_PAGE.format(src=src.replace('"', "&quot;")).encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


# ---- browser helpers ---------------------------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
#: The two viewports every UI change is looked at in: desktop, and a phone with touch.
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 800}, "locale": "de-DE"}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "de-DE",
}


def browser_context(chromium: Any, options: dict[str, Any]) -> Iterator[Any]:
    """A fresh browser context with ``options`` (``DESKTOP``/``PHONE``), closed afterwards."""
    ctx = chromium.new_context(**options)
    yield ctx
    ctx.close()


AXE_URL = "/static/vendor/axe-core/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class PageLog:
    """Every request a page makes (with transferred bytes) and every console error."""

    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        self.bytes: dict[str, int] = {}
        self.errors: list[str] = []
        page.on("request", lambda req: self.urls.append(req.url))
        page.on("requestfinished", self._finished)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _finished(self, request: Any) -> None:
        sizes = request.sizes()
        received = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        self.bytes[request.url] = self.bytes.get(request.url, 0) + received

    def origins(self) -> set[str]:
        """``scheme://host:port`` of every request (data: and blob: URLs left out)."""
        found = set()
        for url in self.urls:
            if url.startswith(("http://", "https://")):
                scheme, rest = url.split("://", 1)
                found.add(f"{scheme}://{rest.split('/', 1)[0]}")
        return found


def wait_ready(page: Any, timeout: float = 20000) -> None:
    """Wait until the map says that its start layers have loaded."""
    page.wait_for_selector("html[data-map-ready='true']", state="attached", timeout=timeout)


def wait_for(page: Any, expression: str, timeout: float = 20.0) -> Any:
    """Poll a JS expression until it is truthy (``wait_for_function`` needs eval, which the
    pages' CSP forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for {expression}"
            return value
        page.wait_for_timeout(50)


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot under ``test-artifacts/`` (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def axe_violations(
    page: Any, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[dict[str, Any]]:
    """Run axe-core (npm, served by BürgerGIS: allowed by the pages' CSP) on the page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        origin = page.evaluate("window.location.origin")
        page.add_script_tag(url=origin + AXE_URL)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    found = [v for v in result["violations"] if v["impact"] in impacts]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
    ]  # fmt: skip
