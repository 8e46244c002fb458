"""Fixture layers for the tile tests: small files written here, loaded by the real pipeline.

``load_tile_layers`` is idempotent per database. Vector layers sit around Hameln's old town
(EPSG:25832); the rasters are synthetic (a west→east ramp with a NoData strip, a DEM for
hillshading) plus, when ``../shared/data`` exists, the BKG geoid and rasterio's RGB test file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import morecantile
import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from sqlalchemy import Engine

from buergergis.catalog.models import (
    Attribute,
    RasterLayer,
    RasterOptions,
    Source,
    VectorLayer,
)
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings

CENTRE = (525_300.0, 5_773_100.0)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TMS = morecantile.tms.get("WebMercatorQuad")
_TO_LONLAT = Transformer.from_crs(25832, 4326, always_xy=True)
_loaded: dict[str, dict[str, str]] = {}

PARCEL_ATTRIBUTES = (
    Attribute(name="name", type="text", title="Name"),
    Attribute(name="nummer", type="integer"),
    Attribute(name="flaeche", type="float"),
    Attribute(name="bebaut", type="boolean"),
    Attribute(name="datum", type="date"),
    Attribute(name="geaendert", type="datetime"),
    Attribute(name="extra", type="json"),
)


@dataclass(frozen=True)
class TileLayers:
    """Ids of the loaded fixture layers and where their sources live."""

    parcels: str
    points: str
    private: str
    ramp: str
    dem: str
    directory: Path


def centre_lonlat(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """The grid centre (moved by dx/dy metres) in WGS84."""
    lon, lat = _TO_LONLAT.transform(CENTRE[0] + dx, CENTRE[1] + dy)
    return float(lon), float(lat)


def tile_at(z: int, lonlat: tuple[float, float] | None = None) -> tuple[int, int, int]:
    """``(z, x, y)`` of the tile containing a point (default: the grid centre)."""
    lon, lat = lonlat or centre_lonlat()
    t = TMS.tile(lon, lat, z)
    return t.z, t.x, t.y


def tile_covering_grid() -> tuple[int, int, int]:
    """The highest-zoom tile that contains the whole 1 km parcel grid."""
    sw = _TO_LONLAT.transform(CENTRE[0] - 520, CENTRE[1] - 520)
    ne = _TO_LONLAT.transform(CENTRE[0] + 520, CENTRE[1] + 520)
    for z in range(16, -1, -1):
        if (
            tile_at(z, sw) == tile_at(z, ne)
            and tile_at(z, sw)[1:] == tile_at(z, (sw[0], ne[1]))[1:]
        ):
            return tile_at(z, sw)
    return (0, 0, 0)


def parcels_frame(n_side: int = 10, size: float = 40.0, shift: float = 0.0) -> gpd.GeoDataFrame:
    """``n_side``² squares (``size`` m) on a 100 m grid around the centre, all attribute types."""
    x0, y0 = CENTRE[0] - 500 + shift, CENTRE[1] - 500
    boxes, rows = [], []
    for i in range(n_side * n_side):
        cx, cy = x0 + (i % n_side) * 100, y0 + (i // n_side) * 100
        boxes.append(shapely.box(cx, cy, cx + size, cy + size))
        rows.append(
            {
                "name": f"Flurstück {i} – Münsterkirchhof",
                "nummer": i,
                "flaeche": size * size + i / 10,
                "bebaut": i % 3 == 0,
                "datum": date(2024, 1 + i % 12, 1 + i % 28).isoformat(),
                "geaendert": datetime(2024, 5, 1, 12, i % 60, tzinfo=UTC).isoformat(),
                "extra": f'{{"i": {i}}}',
                "geheim": f"nicht veröffentlichen {i}",
            }
        )
    return gpd.GeoDataFrame(rows, geometry=boxes, crs="EPSG:25832")


def write_parcels(path: Path, **kwargs: float) -> Path:
    """Write the parcel grid as GeoPackage."""
    parcels_frame(**kwargs).to_file(path, driver="GPKG", engine="pyogrio")  # type: ignore[arg-type]
    return path


def parcels_definition(layer_id: str, path: Path, public: bool = True) -> VectorLayer:
    """The definition of a parcel layer (``geheim`` is not published)."""
    return VectorLayer(
        id=layer_id,
        title="Flurstücke (Test)",
        source=Source(path=str(path)),
        attributes=PARCEL_ATTRIBUTES,
        public=public,
        attribution="Stadt Hameln (Test)",
    )


def _points(path: Path) -> Path:
    rng = np.random.default_rng(3)
    corners = np.repeat([[-450.0, -450.0], [450.0, 450.0]], 10, axis=0)
    xy = corners + rng.uniform(-20, 20, (20, 2)) + CENTRE  # two clusters, empty between
    frame = gpd.GeoDataFrame(
        {"name": [f"Punkt {i}" for i in range(20)]},
        geometry=shapely.points(xy),
        crs="EPSG:25832",
    )
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def write_raster(
    path: Path, data: np.ndarray, origin: tuple[float, float], pixel: float, nodata: float
) -> Path:
    """A one-band float32 GeoTIFF in EPSG:25832."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs="EPSG:25832",
        transform=from_origin(origin[0], origin[1], pixel, pixel),
        nodata=nodata,
    ) as dst:
        dst.write(data.astype("float32"), 1)
    return path


def ramp_array() -> np.ndarray:
    """600×600 values rising west→east from 0 to 100, with a NoData strip in rows 250–349."""
    data = np.tile(np.linspace(0, 100, 600), (600, 1))
    data[250:350, :] = -9999
    return data


def dem_array() -> np.ndarray:
    """600×600 cells of 2 m: flat in the western third, then rising 0.5 m per metre eastwards."""
    cols = np.arange(600, dtype="float64") * 2.0  # 2 m pixels
    plane = np.where(cols < 400, 100.0, 100.0 + (cols - 400) * 0.5)
    return np.tile(plane, (600, 1))


def raster_origin() -> tuple[float, float]:
    """Upper-left corner of the synthetic rasters (1.2 km around the centre)."""
    return CENTRE[0] - 600, CENTRE[1] + 600


def load_tile_layers(engine: Engine, settings: Settings, directory: Path) -> TileLayers:
    """Load the fixture layers once per database; returns their ids."""
    key = str(engine.url)
    if key not in _loaded:
        directory.mkdir(parents=True, exist_ok=True)
        ids = _load_all(engine, settings, directory)
        _loaded[key] = ids | {"directory": str(directory)}
    ids = _loaded[key]
    return TileLayers(
        parcels=ids["parcels"],
        points=ids["points"],
        private=ids["private"],
        ramp=ids["ramp"],
        dem=ids["dem"],
        directory=Path(ids["directory"]),
    )


def _load_all(engine: Engine, settings: Settings, directory: Path) -> dict[str, str]:
    parcels = write_parcels(directory / "parcels.gpkg")
    definitions = [
        parcels_definition("tiles-parcels", parcels),
        parcels_definition("tiles-private", parcels, public=False),
        VectorLayer(
            id="tiles-points",
            title="Punkte (Test)",
            source=Source(path=str(_points(directory / "points.gpkg"))),
        ),
        RasterLayer(
            kind="raster",
            id="tiles-ramp",
            title="Rampe (Test)",
            source=Source(
                path=str(
                    write_raster(directory / "ramp.tif", ramp_array(), raster_origin(), 2.0, -9999)
                )
            ),
            raster=RasterOptions(mode="colormap", colormap="greys_r", rescale=(0, 100)),
        ),
        RasterLayer(
            kind="raster",
            id="tiles-dem",
            title="Gelände (Test)",
            source=Source(
                path=str(
                    write_raster(directory / "dem.tif", dem_array(), raster_origin(), 2.0, -9999)
                )
            ),
            raster=RasterOptions(mode="hillshade", azimuth=315, altitude=45),
        ),
    ]
    for definition in definitions:
        load_layer(engine, settings, definition)
    return {
        "parcels": "tiles-parcels",
        "points": "tiles-points",
        "private": "tiles-private",
        "ramp": "tiles-ramp",
        "dem": "tiles-dem",
    }
