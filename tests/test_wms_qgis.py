"""QGIS (Debian's python3-qgis, headless) loads /wms and /wmts like a GIS user would and draws
the Kitas where they are, in their colour. QGIS runs under the system Python in its own process."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pyproj import Transformer
from sqlalchemy import Engine

from buergergis.settings import Settings
from tests.conftest import require
from tests.wms_support import PRIVATE, hex_rgb, kita, load_wms_layers, rgba

pytestmark = pytest.mark.timeout(300)
SYSTEM_PYTHON = "/usr/bin/python3"
KITA_COLOUR = "#e66101"

_QGIS = r"""
import json, sys
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsMapRendererSequentialJob,
                       QgsMapSettings, QgsRasterLayer, QgsRectangle)
from qgis.PyQt.QtCore import QSize
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
source, crs, box, out = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3].split(",")], sys.argv[4]
layer = QgsRasterLayer(source, "layer", "wms")
result = {"valid": layer.isValid()}  # (error().summary() of a valid layer crashes 3.22)
if not layer.isValid():
    result["error"] = layer.error().summary()
if layer.isValid():
    result["sublayers"] = [l.split(":", 1)[-1] for l in layer.dataProvider().subLayers()]
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem(crs))
    settings.setExtent(QgsRectangle(*box))
    settings.setOutputSize(QSize(64, 64))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(out, "PNG")
print(json.dumps(result), flush=True)
app.exitQgis()
"""


def _qgis(source: str, crs: str, box: tuple[float, ...], out: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(out.parent))
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _QGIS, source, crs, ",".join(map(str, box)), str(out)],
        capture_output=True, text=True, timeout=240, env=env, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def qgis() -> None:
    """Debian's QGIS Python bindings (system Python)."""
    check = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True)
    require(check.returncode == 0, "python3-qgis fehlt (scripts/system-deps.sh test)")


@pytest.fixture(scope="module")
def wms_layers(engine: Engine, demo_settings: Settings) -> list[str]:
    """Kitas, Holzverkauf, Gelände (Höhenstufen) and a private copy of the Kitas."""
    return load_wms_layers(engine, demo_settings)


@pytest.mark.usefixtures("qgis", "wms_layers")
def test_qgis_draws_the_wms(live_server: str, engine: Engine, tmp_path: Path) -> None:
    spot = kita(engine)
    source = f"crs=EPSG:25832&format=image/png&layers=kitas&styles=&url={live_server}/wms"
    box = (spot.x - 60, spot.y - 60, spot.x + 60, spot.y + 60)
    result = _qgis(source, "EPSG:25832", box, tmp_path / "wms.png")
    assert result["valid"], result.get("error")
    assert rgba((tmp_path / "wms.png").read_bytes(), 32, 32)[:3] == hex_rgb(KITA_COLOUR)


@pytest.mark.usefixtures("qgis", "wms_layers")
def test_qgis_draws_the_wmts(live_server: str, engine: Engine, tmp_path: Path) -> None:
    spot = kita(engine)
    source = (
        "crs=EPSG:3857&format=image/png&layers=kitas&styles=default&tileMatrixSet=WebMercatorQuad"
        f"&url={live_server}/wmts/1.0.0/WMTSCapabilities.xml"
    )
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(
        spot.lon, spot.lat
    )
    result = _qgis(source, "EPSG:3857", (x - 80, y - 80, x + 80, y + 80), tmp_path / "wmts.png")
    assert result["valid"], result.get("error")
    assert PRIVATE not in result["sublayers"]
    assert rgba((tmp_path / "wmts.png").read_bytes(), 32, 32)[:3] == hex_rgb(KITA_COLOUR)
