"""Synthetic terrain of the Weser valley around Hameln (float32 GeoTIFF, EPSG:25832).

The Weser runs at about 62 m; the valley sides rise to 110–130 m; the Klüt (258 m) west of
the river, the Schweineberg and the Basberg east of it and the Süntel foothills to the
north-east (about 300 m) are added as smooth bumps; smooth random noise makes the relief
look natural. Pure numpy, deterministic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from buergergis.demo.geography import CRS, HILLS, HINWEIS, SEED, rng_for, to_utm, weser_line

PIXEL = 20.0
#: Upper-left corner and size of the grid (16 × 16 km around Hameln).
ORIGIN = (517_000.0, 5_781_000.0)
SIZE = 800
NODATA = -9999.0

#: Broad ridges: (lon, lat) start and end, height (m) above the surrounding plateau, sigma (m).
RIDGES: tuple[tuple[tuple[float, float], tuple[float, float], float, float], ...] = (
    ((9.4100, 52.1780), (9.5000, 52.1580), 150.0, 1600.0),  # Süntel foothills (NE)
    ((9.2850, 52.0650), (9.3300, 52.0350), 120.0, 1200.0),  # Weserbergland south-west
    ((9.2350, 52.0850), (9.2600, 52.1150), 80.0, 1300.0),  # hills west of Haverbeck
    ((9.4700, 52.0550), (9.5000, 52.0800), 60.0, 1500.0),  # east of Hastenbeck
)

#: Brooks flowing into the Weser (mouth first): Hamel from the east, Humme from the
#: south-west and a brook from the Sünteltal; they carve their valleys into the relief.
BROOKS: tuple[tuple[tuple[float, float], ...], ...] = (
    (
        (9.3540, 52.1010),
        (9.3700, 52.1000),
        (9.3950, 52.0970),
        (9.4150, 52.0960),
        (9.4400, 52.0860),
        (9.4700, 52.0750),
        (9.5000, 52.0650),
    ),
    (
        (9.3550, 52.0960),
        (9.3420, 52.0870),
        (9.3250, 52.0780),
        (9.3050, 52.0680),
        (9.2800, 52.0580),
        (9.2500, 52.0500),
    ),
    ((9.3300, 52.1340), (9.3600, 52.1370), (9.3850, 52.1420), (9.4100, 52.1550), (9.4300, 52.1700)),
)


def grid() -> tuple[np.ndarray, np.ndarray]:
    """Easting and northing of all pixel centres (rows from north to south)."""
    x0, y1 = ORIGIN
    xs = x0 + PIXEL * (np.arange(SIZE) + 0.5)
    ys = y1 - PIXEL * (np.arange(SIZE) + 0.5)
    return np.meshgrid(xs, ys)


def _segment_distance(
    x: np.ndarray, y: np.ndarray, a: tuple[float, float], b: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each point to segment a–b and the position along it (0..1)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = np.clip(((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(x - (a[0] + t * dx), y - (a[1] + t * dy)), t


def polyline_distance(
    x: np.ndarray, y: np.ndarray, coords: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray, float]:
    """Distance to a polyline, the distance along it (m) of the nearest point, and its length."""
    pts = np.asarray(coords)
    lengths = np.hypot(*np.diff(pts, axis=0).T)
    offsets = np.concatenate([[0.0], np.cumsum(lengths)])
    best = np.full(x.shape, np.inf)
    along = np.zeros(x.shape)
    for i in range(len(pts) - 1):
        dist, t = _segment_distance(x, y, coords[i], coords[i + 1])
        closer = dist < best
        np.copyto(best, dist, where=closer)
        np.copyto(along, offsets[i] + t * lengths[i], where=closer)
    return best, along, float(offsets[-1])


def chaikin(coords: list[tuple[float, float]], rounds: int = 3) -> list[tuple[float, float]]:
    """Smooth a polyline by corner cutting (keeps both end points)."""
    pts = np.asarray(coords, dtype=float)
    for _ in range(rounds):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        pts = np.vstack([pts[:1], np.column_stack([q, r]).reshape(-1, 2), pts[-1:]])
    return [(float(a), float(b)) for a, b in pts]


def river_level(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the Weser and its water level (65 m upstream … 59 m downstream, 62 m at Hameln).

    The level varies smoothly with the position projected on the main flow direction (not
    along the nearest river point, which jumps at bends and would leave steps in the relief).
    """
    coords = list(weser_line().coords)
    dist, _along, _total = polyline_distance(x, y, coords)
    _d, t = _segment_distance(x, y, coords[0], coords[-1])
    return dist, 65.0 - 6.0 * t


def smooth_noise(rng: np.random.Generator, sigma_m: float) -> np.ndarray:
    """White noise low-pass filtered with a Gaussian of ``sigma_m`` metres, scaled to std 1."""
    white = rng.standard_normal((SIZE, SIZE))
    freq = np.fft.fftfreq(SIZE, d=PIXEL)
    fx, fy = np.meshgrid(freq, freq)
    kernel = np.exp(-2.0 * (np.pi * sigma_m) ** 2 * (fx**2 + fy**2))
    field = np.real(np.fft.ifft2(np.fft.fft2(white) * kernel))
    return (field - field.mean()) / field.std()


def _smoothstep(edge0: float, edge1: float, value: np.ndarray) -> np.ndarray:
    t = np.clip((value - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def base_relief(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valley floor and sides without the named hills; also returns river distance and level."""
    dist, level = river_level(x, y)
    z = level + 3.0 * _smoothstep(40.0, 450.0, dist)
    z += 55.0 * (1.0 - np.exp(-np.maximum(dist - 400.0, 0.0) / 1800.0))
    for start, end, height, sigma in RIDGES:
        ridge_d, _ = _segment_distance(x, y, to_utm(*start), to_utm(*end))
        z += height * np.exp(-(ridge_d**2) / (2.0 * sigma**2)) * _smoothstep(300.0, 1500.0, dist)
    rng = rng_for("gelaende")
    noise = 22.0 * smooth_noise(rng, 1200.0) + 7.0 * smooth_noise(rng, 350.0)
    noise += 2.0 * smooth_noise(rng, 100.0) + 0.15 * smooth_noise(rng, 25.0)
    z += noise * (0.1 + 0.9 * _smoothstep(150.0, 1500.0, dist))
    return z, dist, level


def _window(coords: list[tuple[float, float]], margin: float) -> tuple[slice, slice]:
    """Row and column slices of the grid covering a polyline plus a margin."""
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    x0, y1 = ORIGIN
    rows = slice(
        max(int((y1 - max(ys) - margin) // PIXEL), 0), max(int((y1 - min(ys) + margin) // PIXEL), 0)
    )
    cols = slice(
        max(int((min(xs) - margin - x0) // PIXEL), 0), max(int((max(xs) + margin - x0) // PIXEL), 0)
    )
    return rows, cols


def carve_brooks(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Cut the brook valleys: the floor rises 3.5 m/km upstream, the sides blend into the relief."""
    z = z.copy()
    for brook in BROOKS:
        pts = chaikin([to_utm(lon, lat) for lon, lat in brook])
        win = _window(pts, 2600.0)
        bx, by, bz = x[win], y[win], z[win]
        dist, along, total = polyline_distance(bx, by, pts)
        floor = level[win] + 1.5 + 0.0035 * np.hypot(bx - pts[0][0], by - pts[0][1])
        weight = np.exp(-0.5 * (dist / 600.0) ** 2) * _smoothstep(total, total - 2000.0, along)
        z[win] = np.where(bz > floor, bz - (bz - floor) * weight, bz)
    return z


def elevation() -> np.ndarray:
    """The terrain model as a float32 array (rows from north to south), heights in metres."""
    x, y = grid()
    z, dist, level = base_relief(x, y)
    x0, y1 = ORIGIN
    rng = rng_for("gelaende:huegel")
    wx, wy = x + 260.0 * smooth_noise(rng, 500.0), y + 260.0 * smooth_noise(rng, 500.0)
    valley = _smoothstep(150.0, 1200.0, dist)
    bumps = []
    for _name, lon, lat, _radius, height, sigma in HILLS:
        hx, hy = to_utm(lon, lat)
        row, col = int((y1 - hy) // PIXEL), int((hx - x0) // PIXEL)
        bump = np.exp(-((wx - hx) ** 2 + (wy - hy) ** 2) / (2.0 * sigma**2)) * valley
        bump /= bump[row, col]
        z += (height - z[row, col]) * bump
        bumps.append((row, col, height, bump))
    z = carve_brooks(x, y, z, level)
    for row, col, height, bump in bumps:  # the brooks nibble at the hills: restore the summits
        z += (height - z[row, col]) * bump
    floor = level + 1.0
    z = floor + 6.0 * np.logaddexp(0.0, (z - floor) / 6.0)  # soft floor: nothing below the river
    z = np.where(dist < 55.0, level, z)
    return np.round(z, 2).astype(np.float32)


def write_geotiff(path: Path) -> int:
    """Write the terrain GeoTIFF to ``path``; returns the number of pixels."""
    data = elevation()
    profile = {
        "driver": "GTiff",
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": Affine(PIXEL, 0.0, ORIGIN[0], 0.0, -PIXEL, ORIGIN[1]),
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(
            TIFFTAG_IMAGEDESCRIPTION=f"Gelände Hameln – {HINWEIS}",
            TIFFTAG_ARTIST="Stadt Hameln (Beispieldaten)",
            hinweis=HINWEIS,
            seed=str(SEED),
        )
        dst.set_band_description(1, "Höhe über NHN (m)")
        dst.update_tags(1, units="m")
    return int(data.size)
