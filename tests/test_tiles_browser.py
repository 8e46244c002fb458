"""MapLibre GL JS (from npm, served by BürgerGIS) draws the vector tiles in headless Chromium:
the screenshot is red exactly where PostGIS has parcels and white in the gaps between them."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from buergergis.settings import PROJECT_ROOT
from tests.conftest import require
from tests.tiles_support import CENTRE, TileLayers, centre_lonlat

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(chromium: Any) -> Iterator[object]:
    require(
        (PROJECT_ROOT / "static/vendor/maplibre-gl/maplibre-gl.js").exists(), "make assets fehlt"
    )
    context = chromium.new_context(viewport={"width": 800, "height": 600}, device_scale_factor=1)
    yield context.new_page()
    context.close()


def screenshot(page: object) -> np.ndarray:
    """The rendered page as (rows, cols, 3) RGB."""
    png = page.screenshot(type="png")  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile(png) as mem, mem.open() as src:
            return np.moveaxis(src.read()[:3], 0, -1)


def test_maplibre_draws_the_parcels_where_the_data_is(
    live_server: str, page: object, tile_layers: TileLayers
) -> None:
    lon, lat = centre_lonlat()
    url = f"{live_server}/static/maplibre-test.html?layers={tile_layers.parcels}&lon={lon}&lat={lat}&zoom=16"
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_function("window.mapReady === true", timeout=60_000)  # type: ignore[attr-defined]
    assert page.evaluate("window.mapErrors") == []  # type: ignore[attr-defined]
    # parcel centres (40 m squares every 100 m from CENTRE - 500) and the gaps between them
    x0, y0 = CENTRE[0] - 500, CENTRE[1] - 500
    inside = [(x0 + 100 * i + 20, y0 + 100 * j + 20) for i in range(3, 7) for j in range(3, 7)]
    gaps = [(x + 50, y + 50) for x, y in inside]
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(25832, 4326, always_xy=True)
    project = "pts => pts.map(p => { const q = window.map.project(p); return [q.x, q.y]; })"
    pixels_in = page.evaluate(project, [list(to_lonlat.transform(*p)) for p in inside])  # type: ignore[attr-defined]
    pixels_gap = page.evaluate(project, [list(to_lonlat.transform(*p)) for p in gaps])  # type: ignore[attr-defined]
    image = screenshot(page)
    red = (image[..., 0] > 200) & (image[..., 1] < 60) & (image[..., 2] < 60)
    white = image.min(axis=-1) > 240

    def at(mask: np.ndarray, xy: list[float]) -> bool:
        col, row = int(round(xy[0])), int(round(xy[1]))
        return bool(mask[row - 2 : row + 3, col - 2 : col + 3].all())

    visible = [p for p in pixels_in if 5 < p[0] < 795 and 5 < p[1] < 595]
    assert len(visible) >= 12
    assert all(at(red, p) for p in visible), "every parcel centre is drawn"
    assert all(at(white, p) for p in pixels_gap if 5 < p[0] < 795 and 5 < p[1] < 595)
    share = red.mean()
    assert 0.05 < share < 0.4, f"red share {share:.2f}: squares of 40 m on a 100 m grid"
