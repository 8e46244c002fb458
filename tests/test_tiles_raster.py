"""Raster tiles: decoded with rasterio (GDAL's PNG/WebP drivers) and checked pixel by pixel —
colour ramp, transparent NoData, hillshade with seamless edges, RGB, @2x and empty tiles."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import rasterio
from flask.testing import FlaskClient
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from rio_tiler.colormap import cmap
from sqlalchemy import Engine

from buergergis.catalog.models import RasterLayer, RasterOptions, Source
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from buergergis.tiles import raster
from buergergis.tiles.grid import TileAddress
from tests.tiles_support import TileLayers, centre_lonlat, tile_at


def image(client: FlaskClient, path: str, media: str = "image/png") -> np.ndarray:
    """Decode a tile to a (bands, rows, cols) array; the last band is alpha."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == media
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile(response.data) as mem, mem.open() as src:
            pixels = src.read()
            if src.count == 1 and src.colorinterp[0] == ColorInterp.palette:
                return expand_palette(pixels[0], src.colormap(1))  # as a browser shows it
            return pixels


def expand_palette(indices: np.ndarray, table: dict[int, tuple[int, ...]]) -> np.ndarray:
    """RGBA (4, rows, cols) of a paletted image through its colour table (alpha from tRNS)."""
    lut = np.zeros((256, 4), dtype=np.uint8)
    for index, rgba in table.items():
        lut[index] = rgba[:4]
    return np.moveaxis(lut[indices], -1, 0)


def test_colour_ramp_follows_the_values_and_nodata_is_transparent(
    client: FlaskClient, tile_layers: TileLayers
) -> None:
    z, x, y = tile_at(16)
    pixels = image(client, f"/tiles/{tile_layers.ramp}/{z}/{x}/{y}.png")
    assert pixels.shape == (4, 256, 256)  # RGBA
    grey, alpha = pixels[0].astype(int), pixels[3]
    assert np.array_equal(pixels[0], pixels[1]) and np.array_equal(pixels[1], pixels[2]), "greys"
    opaque_rows = np.flatnonzero(alpha.min(axis=1) == 255)
    clear_rows = np.flatnonzero(alpha.max(axis=1) == 0)
    assert len(opaque_rows) > 50 and len(clear_rows) > 20, "NoData strip must be transparent"
    row = grey[opaque_rows[0]]
    assert np.all(np.diff(row) >= 0) and row[-1] - row[0] > 40, "west→east ramp gets lighter"


def test_ramp_values_map_to_the_expected_grey(client: FlaskClient, tile_layers: TileLayers) -> None:
    lon, lat = centre_lonlat(0, 250)  # north of the NoData strip, halfway along the ramp
    z, x, y = tile_at(17, (lon, lat))
    pixels = image(client, f"/tiles/{tile_layers.ramp}/{z}/{x}/{y}.png")
    west, south, east, north = TileAddress(z, x, y).bounds_4326()
    col = int((lon - west) / (east - west) * 256)
    row = int((north - lat) / (north - south) * 256)
    # value 50 of 0..100 → index 127/128 of the greys_r ramp
    expected = int(cmap.get("greys_r")[128][0])
    assert pixels[3, row, col] == 255
    assert abs(int(pixels[0, row, col]) - expected) <= 3


def test_webp_and_512_pixel_tiles(client: FlaskClient, tile_layers: TileLayers) -> None:
    z, x, y = tile_at(15)
    webp = client.get(f"/tiles/{tile_layers.ramp}/{z}/{x}/{y}.webp")
    assert webp.status_code == 200 and webp.mimetype == "image/webp"
    assert webp.data[:4] == b"RIFF" and webp.data[8:12] == b"WEBP"
    big = image(client, f"/tiles/{tile_layers.ramp}/{z}/{x}/{y}@2x.png")
    small = image(client, f"/tiles/{tile_layers.ramp}/{z}/{x}/{y}.png")
    assert big.shape[1:] == (512, 512) and small.shape[1:] == (256, 256)
    assert abs(int(big[1].astype(bool).sum()) - 4 * int(small[1].astype(bool).sum())) < 4 * 256 * 4


def test_tile_outside_the_raster_is_transparent_without_reading(
    client: FlaskClient, engine: Engine, tile_layers: TileLayers
) -> None:
    pixels = image(client, f"/tiles/{tile_layers.ramp}/10/100/100.png")
    assert pixels[-1].max() == 0
    with engine.connect() as conn:
        record = get_layer(conn, tile_layers.ramp)
    assert record is not None
    gone = record.__class__(**{**record.__dict__, "raster_path": "/nonexistent/v1.tif"})
    assert raster.render_raster(gone, TileAddress(10, 100, 100), "png", 1) is None


def test_raster_tiles_refuse_vector_formats_and_bad_addresses(
    client: FlaskClient, tile_layers: TileLayers
) -> None:
    for path, status in (
        (f"/tiles/{tile_layers.ramp}/3/9/0.png", 404),
        (f"/tiles/{tile_layers.ramp}/1/0/0@3x.png", 404),
        (f"/tiles/{tile_layers.ramp}/1/0/0.jpg", 404),
        (f"/tiles/{tile_layers.ramp},{tile_layers.dem}/1/0/0.png", 400),
    ):
        response = client.get(path)
        assert response.status_code == status and response.get_json()["code"]


def expected_shade(slope: float, azimuth: float, altitude: float) -> float:
    """Shade of a plane rising eastwards with ``slope`` (m/m), lit from azimuth/altitude."""
    az, alt = math.radians(azimuth), math.radians(altitude)
    return (-slope * math.sin(az) * math.cos(alt) + math.sin(alt)) / math.sqrt(1 + slope**2)


def test_hillshade_matches_the_analytic_shade(client: FlaskClient, tile_layers: TileLayers) -> None:
    z, x, y = tile_at(17, centre_lonlat(-200, 0))  # the tile where the plain meets the slope
    pixels = image(client, f"/tiles/{tile_layers.dem}/{z}/{x}/{y}.png")
    grey, alpha = pixels[0].astype(float), pixels[-1]
    assert alpha.min() == 255
    flat = 255 * expected_shade(0.0, 315, 45)  # sin(45°) → 180
    sloped = 255 * expected_shade(0.5, 315, 45)  # faces west, towards the NW light → 218
    values = grey[128]
    assert np.sum(np.abs(values - flat) <= 2) > 20
    assert np.sum(np.abs(values - sloped) <= 2) > 20
    assert values[0] < values[-1], "plain in the west, slope in the east"


def test_hillshade_has_no_seams_between_tiles(client: FlaskClient, tile_layers: TileLayers) -> None:
    z, x, y = tile_at(17)
    left = image(client, f"/tiles/{tile_layers.dem}/{z}/{x}/{y}.png")[0].astype(int)
    right = image(client, f"/tiles/{tile_layers.dem}/{z}/{x + 1}/{y}.png")[0].astype(int)
    across = np.abs(left[:, -1] - right[:, 0]).max()
    within = np.abs(np.diff(left, axis=1)).max()
    assert across <= max(within, 3)


def test_geoid_gets_the_terrain_ramp(
    client: FlaskClient, shared_data: Path, engine: Engine, settings: Settings
) -> None:
    source = Source(path=str(shared_data / "official/de_bkg_gcg2016.tif"))
    load_layer(
        engine,
        settings,
        RasterLayer(kind="raster", id="tiles-geoid", title="Quasigeoid", source=source),
    )
    z, x, y = tile_at(6)
    rgba = image(client, f"/tiles/tiles-geoid/{z}/{x}/{y}.png")
    assert rgba.shape == (4, 256, 256)
    assert rgba[3].max() == 255 and rgba[3].min() == 0, "Germany opaque, sea/abroad NoData clear"
    opaque = rgba[:3, rgba[3] == 255]
    assert len({tuple(c) for c in opaque.T}) > 20, "a ramp, not one colour"


def test_rgb_raster_is_passed_through(
    client: FlaskClient, shared_data: Path, engine: Engine, settings: Settings
) -> None:
    path = shared_data / "edge/raster/RGB.byte.tif"
    definition = RasterLayer(
        kind="raster",
        id="tiles-rgb",
        title="RGB",
        source=Source(path=str(path)),
        raster=RasterOptions(mode="rgb"),
    )
    load_layer(engine, settings, definition)
    with rasterio.open(path) as src:
        lon, lat = rasterio.warp.transform(
            src.crs, "EPSG:4326", [src.xy(400, 400)[0]], [src.xy(400, 400)[1]]
        )
        source_pixel = src.read(window=((400, 401), (400, 401)))[:, 0, 0]
    z, x, y = tile_at(12, (lon[0], lat[0]))
    rgba = image(client, f"/tiles/tiles-rgb/{z}/{x}/{y}.png")
    assert rgba.shape == (4, 256, 256)
    opaque = rgba[:3, rgba[3] == 255].T
    assert len(opaque) > 1000
    distance = np.abs(opaque.astype(int) - source_pixel.astype(int)).sum(axis=1).min()
    assert distance < 30, "the source colour is in the tile unchanged"
