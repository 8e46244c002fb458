"""The tile grid: OGC WebMercatorQuad (via morecantile), tile addresses, zoom ranges, bboxes.

All tile addressing in BürgerGIS goes through :class:`TileAddress`, so an out-of-range
``z/x/y`` is refused in one place (404, as OGC API – Tiles requires) before anything else
runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import morecantile
from morecantile import TileMatrixSet

from buergergis.errors import InvalidParameter, NotFound

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
MAX_ZOOM = 24
#: MVT grid units per tile edge and the clip buffer around each tile (units).
EXTENT = 4096
BUFFER = 64
#: Half the edge of the Web Mercator square (metres).
ORIGIN_SHIFT = 20037508.342789244


@lru_cache(maxsize=1)
def tms() -> TileMatrixSet:
    """The WebMercatorQuad tile matrix set (OGC 2DTMS 2.0)."""
    return morecantile.tms.get(TMS_ID)


@dataclass(frozen=True)
class TileAddress:
    """One tile of WebMercatorQuad; construction checks the range (404 when outside)."""

    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise NotFound(f"Zoomstufe {self.z} gibt es nicht (0–{MAX_ZOOM}).")
        size = 1 << self.z
        if not (0 <= self.x < size and 0 <= self.y < size):
            raise NotFound(
                f"Kachel {self.z}/{self.x}/{self.y} liegt außerhalb des Kachelgitters "
                f"(x und y von 0 bis {size - 1})."
            )

    @property
    def size_m(self) -> float:
        """Edge length of the tile in Web Mercator metres."""
        return 2 * ORIGIN_SHIFT / (1 << self.z)

    def bounds_3857(self, buffer_units: float = 0.0) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in EPSG:3857, optionally grown by MVT units."""
        size = self.size_m
        margin = size * buffer_units / EXTENT
        minx = -ORIGIN_SHIFT + self.x * size
        maxy = ORIGIN_SHIFT - self.y * size
        return (minx - margin, maxy - size - margin, minx + size + margin, maxy + margin)

    def bounds_4326(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        b = tms().bounds(morecantile.Tile(self.x, self.y, self.z))
        return (b.left, b.bottom, b.right, b.top)

    def centre_latitude(self) -> float:
        """Latitude of the tile centre (degrees)."""
        w, s, e, n = self.bounds_4326()
        return (s + n) / 2


def mercator_y(lat: float) -> float:
    """Web Mercator northing of a latitude (clamped to the valid range)."""
    lat = max(min(lat, 85.0511287798066), -85.0511287798066)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137.0


def lonlat_to_3857(
    bbox: tuple[float, float, float, float],
) -> tuple[float, float, float, float]:
    """A WGS84 bbox in Web Mercator metres."""
    west, south, east, north = bbox
    k = 6378137.0 * math.pi / 180
    return (west * k, mercator_y(south), east * k, mercator_y(north))


def intersects(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two (minx, miny, maxx, maxy) boxes overlap (touching counts)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def parse_zoom_range(text: str) -> tuple[int, int]:
    """``"10-16"`` or ``"12"`` → (minzoom, maxzoom); 400 when malformed."""
    parts = text.strip().split("-")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise InvalidParameter(f"Ungültiger Zoombereich '{text}' (Beispiel: 10-16).") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or not 0 <= values[0] <= values[1] <= MAX_ZOOM:
        raise InvalidParameter(f"Ungültiger Zoombereich '{text}' (0–{MAX_ZOOM}, min ≤ max).")
    return values[0], values[1]


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"west,south,east,north"`` in WGS84 degrees; 400 when malformed."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InvalidParameter(f"Ungültige bbox '{text}' (west,süd,ost,nord in Grad).") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"Ungültige bbox '{text}' (vier Zahlen erwartet).")
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidParameter(f"Ungültige bbox '{text}' (west < ost, süd < nord, in Grad).")
    return west, south, east, north


def tiles_in(
    bbox: tuple[float, float, float, float], minzoom: int, maxzoom: int
) -> Iterator[TileAddress]:
    """Every tile touching ``bbox`` (WGS84) from ``minzoom`` to ``maxzoom``, zoom by zoom."""
    for z in range(minzoom, maxzoom + 1):
        x0, y0, x1, y1 = tile_range(bbox, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield TileAddress(z, x, y)


def tile_range(bbox: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """(min_x, min_y, max_x, max_y) of the tiles touching a WGS84 bbox at zoom ``z``."""
    last = (1 << z) - 1
    ul = tms().tile(bbox[0], bbox[3], z)
    lr = tms().tile(bbox[2], bbox[1], z)
    return (
        min(max(ul.x, 0), last),
        min(max(ul.y, 0), last),
        min(max(lr.x, 0), last),
        min(max(lr.y, 0), last),
    )


def count_tiles(bbox: tuple[float, float, float, float], minzoom: int, maxzoom: int) -> int:
    """How many tiles :func:`tiles_in` yields (for progress bars), without listing them."""
    total = 0
    for z in range(minzoom, maxzoom + 1):
        x0, y0, x1, y1 = tile_range(bbox, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def zoom_limits(
    bbox: tuple[float, float, float, float], minzoom: int, maxzoom: int
) -> list[dict[str, int | str]]:
    """OGC ``tileMatrixSetLimits`` for a WGS84 bbox."""
    limits: list[dict[str, int | str]] = []
    for z in range(minzoom, maxzoom + 1):
        x0, y0, x1, y1 = tile_range(bbox, z)
        limits.append(
            {
                "tileMatrix": str(z),
                "minTileRow": y0,
                "maxTileRow": y1,
                "minTileCol": x0,
                "maxTileCol": x1,
            }
        )
    return limits
