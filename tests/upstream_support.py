"""The "other authority" for tests of external layers: a real MapServer WMS (Debian's
``/usr/bin/mapserv`` as CGI) on its own loopback address 127.0.0.2, so a request to it is
never confused with one to BürgerGIS on 127.0.0.1.

It serves ``ueberschwemmung`` (a flood-zone polygon along the Weser through Hameln, with
GetFeatureInfo) and ``gelaende`` (the demo terrain raster). ``/slow/wms`` answers the same
after ``delay_s`` seconds (the upstream being slow); every request is counted by path.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from buergergis.settings import PROJECT_ROOT
from tests.server_support import free_port

HOST = "127.0.0.2"
MAPSERV = shutil.which("mapserv") or "/usr/bin/mapserv"

#: A strip along the Weser from Afferde/Wehrbergen in the north to Tündern in the south (WGS84).
WESER_RIVER = [(9.3340, 52.1350), (9.3440, 52.1170), (9.3500, 52.1040), (9.3560, 52.0920),
               (9.3700, 52.0700)]  # fmt: skip
WIDTH = 0.0045
#: A point inside the flood zone (on the Weser by the Hameln old town) and one outside.
INSIDE = (9.3500, 52.1040)
OUTSIDE = (9.3900, 52.1200)


def flood_zone() -> dict[str, object]:
    """The flood-zone polygon as a GeoJSON FeatureCollection (WGS84)."""
    west = [(x - WIDTH, y) for x, y in WESER_RIVER]
    east = [(x + WIDTH, y) for x, y in reversed(WESER_RIVER)]
    ring = [*west, *east, west[0]]
    feature = {
        "type": "Feature",
        "properties": {
            "gewaesser": "Weser",
            "name": "Überschwemmungsgebiet Weser",
            "status": "festgesetzt",
        },  # fmt: skip
        "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
    }
    return {"type": "FeatureCollection", "features": [feature]}


MAPFILE = """MAP
  NAME "nlwkn_test"
  EXTENT 9.2 52.0 9.5 52.2
  SIZE 256 256
  PROJECTION "init=epsg:4326" END
  IMAGETYPE png
  WEB
    METADATA
      "wms_title" "Überschwemmungsgebiete (Test-NLWKN)"
      "wms_onlineresource" "http://{host}:{port}/wms?"
      "wms_srs" "EPSG:4326 EPSG:3857 EPSG:25832"
      "wms_enable_request" "*"
      "wms_feature_info_mime_type" "text/html"
    END
  END
  LEGEND KEYSIZE 18 12 LABEL TYPE truetype SIZE 8 END END
  LAYER
    NAME "ueberschwemmung"
    TYPE POLYGON
    STATUS ON
    CONNECTIONTYPE OGR
    CONNECTION "{geojson}"
    PROJECTION "init=epsg:4326" END
    TEMPLATE "dummy"
    METADATA
      "wms_title" "Überschwemmungsgebiet Weser"
      "gml_include_items" "all"
      "wms_include_items" "all"
    END
    CLASS
      NAME "festgesetztes Überschwemmungsgebiet"
      STYLE COLOR 60 120 230 OUTLINECOLOR 20 60 160 WIDTH 2 OPACITY 70 END
    END
  END
  LAYER
    NAME "gelaende"
    TYPE RASTER
    STATUS ON
    DATA "{raster}"
    PROJECTION "init=epsg:25832" END
    METADATA "wms_title" "Gelände" END
  END
END
"""


@dataclass
class Upstream:
    """The running WMS: its base URLs and the requests it has seen."""

    port: int
    delay_s: float
    seen: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL of the WMS."""
        return f"http://{HOST}:{self.port}/wms"

    @property
    def slow_url(self) -> str:
        """The same WMS, answering after ``delay_s``."""
        return f"http://{HOST}:{self.port}/slow/wms"

    @property
    def netloc(self) -> str:
        """``host:port`` of the upstream (what a browser request to it would name)."""
        return f"{HOST}:{self.port}"


def _handler(upstream: Upstream, env: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            upstream.seen[path] += 1
            upstream.log.append(self.path)
            if path == "/slow/wms":
                time.sleep(upstream.delay_s)
            elif path != "/wms":
                self.send_error(404)
                return
            result = subprocess.run(
                [MAPSERV],
                env={**env, "QUERY_STRING": query, "REQUEST_METHOD": "GET"},
                capture_output=True,
                check=False,
            )
            head, _, body = result.stdout.partition(b"\r\n\r\n")
            self.send_response(200)
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-type":
                    self.send_header("Content-Type", value.strip())
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def upstream_wms(work: Path, delay_s: float = 6.0) -> Iterator[Upstream]:
    """Start the test authority's WMS on 127.0.0.2 (MapServer 8 as CGI)."""
    port = free_port()
    geojson = work / "ueberschwemmung.geojson"
    geojson.write_text(json.dumps(flood_zone(), ensure_ascii=False), encoding="utf-8")
    mapfile = work / "nlwkn.map"
    raster = PROJECT_ROOT / "data" / "gelaende.tif"
    mapfile.write_text(
        MAPFILE.format(host=HOST, port=port, geojson=geojson, raster=raster), encoding="utf-8"
    )
    config = work / "mapserver.conf"
    config.write_text(f'CONFIG\n  ENV\n    MS_MAPFILE "{mapfile}"\n  END\nEND\n')
    env = {"PATH": os.environ.get("PATH", ""), "MAPSERVER_CONFIG_FILE": str(config),
           "MS_MAPFILE": str(mapfile)}  # fmt: skip
    upstream = Upstream(port, delay_s)
    server = ThreadingHTTPServer((HOST, port), _handler(upstream, env))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
