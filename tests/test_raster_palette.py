"""Colour-ramp tiles as paletted PNG show the same pixels as rio-tiler's RGBA tiles.

Both ways render the same tiles of the synthetic ramp (with its NoData strip) and of the
demo terrain, from z12 to z19; the PNGs are decoded as a browser does (Pillow, RGBA) and
compared: alpha everywhere, colour wherever a pixel is visible. Tiles that reach beyond the
raster take rio-tiler's way.
"""

from __future__ import annotations

import io

import numpy as np
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import Engine

from buergergis.store.catalog import LayerRecord, get_layer
from buergergis.tiles import raster
from buergergis.tiles.grid import TileAddress
from buergergis.tiles.palette import colormap_png
from tests.tiles_support import TileLayers, centre_lonlat, tile_at


def record_of(engine: Engine, layer_id: str) -> LayerRecord:
    with engine.connect() as conn:
        record = get_layer(conn, layer_id, include_private=True)
    assert record is not None and record.raster_path
    return record


def rgba(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def both_ways(
    record: LayerRecord, tile: TileAddress, size: int = 256
) -> tuple[bytes | None, bytes]:
    style = raster.style_of(record)
    opened = raster._opened(str(record.raster_path))
    assert opened.mercator is not None
    ramp = raster._colormap(style.colormap)
    fast = colormap_png(opened.mercator, 1, tile, size, style.rescale, ramp)
    return fast, raster.rio_render(opened, tile, "png", size, style)


def assert_same_pixels(fast: bytes, reference: bytes) -> None:
    ours, theirs = rgba(fast), rgba(reference)
    assert np.array_equal(ours[..., 3], theirs[..., 3]), "transparency differs"
    visible = theirs[..., 3] > 0
    assert np.array_equal(ours[..., :3][visible], theirs[..., :3][visible]), "colours differ"


def tiles_around(lonlat: tuple[float, float], zooms: range) -> list[TileAddress]:
    found = []
    for z in zooms:
        _, x, y = tile_at(z, lonlat)
        found += [TileAddress(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    return found


def test_ramp_tiles_with_nodata_are_the_same_as_rio_tilers(
    engine: Engine, tile_layers: TileLayers
) -> None:
    record = record_of(engine, tile_layers.ramp)
    fast_ones = 0
    with_nodata = 0
    for tile in tiles_around(centre_lonlat(), range(14, 20)):
        fast, reference = both_ways(record, tile)
        if fast is None:  # reaches beyond the raster: rio-tiler's way
            continue
        fast_ones += 1
        if not fast:
            assert rgba(reference)[..., 3].max() == 0, "declared empty, but rio-tiler sees data"
            continue
        assert Image.open(io.BytesIO(fast)).mode == "P"
        with_nodata += int(rgba(fast)[..., 3].min() == 0)
        assert_same_pixels(fast, reference)
    assert fast_ones >= 20, "most tiles inside the raster take the paletted way"
    assert with_nodata >= 1, "the NoData strip is crossed by at least one compared tile"


def test_terrain_tiles_and_512_pixels_are_the_same_as_rio_tilers(
    engine: Engine, demo_layers: list[str]
) -> None:
    record = record_of(engine, "gelaende-farbe")  # 16 × 16 km around Hameln's old town
    assert raster.style_of(record).mode == "colormap"
    compared = 0
    for tile in tiles_around((9.357, 52.103), range(12, 17)):
        for size in (256, 512):
            fast, reference = both_ways(record, tile, size)
            if fast:
                assert_same_pixels(fast, reference)
                compared += 1
    assert compared >= 10


def test_tiles_reaching_beyond_the_raster_take_rio_tilers_way(
    engine: Engine, tile_layers: TileLayers
) -> None:
    record = record_of(engine, tile_layers.ramp)
    z, x, y = tile_at(8)  # one tile holds the whole small raster and more
    fast, reference = both_ways(record, TileAddress(z, x, y))
    assert fast is None
    assert rgba(reference)[..., 3].max() == 255


def test_the_served_ramp_tile_is_paletted(client: FlaskClient, tile_layers: TileLayers) -> None:
    z, x, y = tile_at(17, centre_lonlat(0, 250))
    response = client.get(f"/tiles/{tile_layers.ramp}/{z}/{x}/{y}.png")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).mode == "P"


def test_ramps_other_than_256_colours_are_left_to_rio_tiler() -> None:
    """A ramp that is not 256 entries is left to rio-tiler."""
    from buergergis.tiles.palette import _palette

    assert _palette({0: (0, 0, 0, 255), 1: (255, 255, 255, 255)}) is None
    assert _palette({i: (i, i, i, 255) for i in range(256)}) is not None
