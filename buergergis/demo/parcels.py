"""Example parcels (Beispiel-Flurstücke): street blocks around each settlement, split into lots.

Every settlement gets a rotated grid of street blocks inside its built-up area (an irregular
disc, clipped to the settlement's own Voronoi cell, without river and forest); each block is
cut into two rows of plots with slightly skewed boundaries. Blocks of different settlements
never overlap, plots of one block share their edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from buergergis.demo.geography import (
    CRS,
    HINWEIS,
    SETTLEMENTS,
    Settlement,
    city_polygon,
    forest_areas,
    rng_for,
    weser_water,
    wobble,
)


@dataclass(frozen=True)
class Scheme:
    """Block and plot sizes of a kind of settlement (metres) and its land-use mix."""

    block: tuple[float, float]
    street: float
    plot_width: tuple[float, float]
    uses: tuple[tuple[str, float], ...]


SCHEMES = {
    "altstadt": Scheme(
        (72.0, 46.0),
        9.0,
        (10.0, 16.0),
        (
            ("Gemischte Nutzung", 0.55),
            ("Handel und Dienstleistung", 0.35),
            ("Öffentliche Einrichtung", 0.1),
        ),
    ),
    "stadt": Scheme(
        (104.0, 58.0),
        12.0,
        (23.0, 35.0),
        (
            ("Wohnbaufläche", 0.72),
            ("Gemischte Nutzung", 0.09),
            ("Gewerbe und Industrie", 0.08),
            ("Öffentliche Einrichtung", 0.05),
            ("Grünanlage", 0.04),
            ("Sportanlage", 0.015),
            ("Friedhof", 0.005),
        ),
    ),
    "dorf": Scheme(
        (130.0, 72.0),
        12.0,
        (18.0, 30.0),
        (
            ("Wohnbaufläche", 0.66),
            ("Landwirtschaftliche Hofstelle", 0.14),
            ("Gemischte Nutzung", 0.1),
            ("Gewerbe und Industrie", 0.04),
            ("Grünanlage", 0.04),
            ("Öffentliche Einrichtung", 0.02),
        ),
    ),
}
#: Land uses whose blocks are not divided into small plots.
LARGE_USES = {
    "Gewerbe und Industrie",
    "Öffentliche Einrichtung",
    "Grünanlage",
    "Sportanlage",
    "Friedhof",
}
#: Fictitious four-digit Gemarkung numbers.
GEMARKUNG_NR = {name: 4510 + i for i, name in enumerate(sorted({s.gemarkung for s in SETTLEMENTS}))}


@cache
def built_up_areas() -> dict[str, Polygon]:
    """Built-up area of each settlement (disjoint), in EPSG:25832."""
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            MultiPoint([s.xy for s in SETTLEMENTS]), extend_to=city_polygon().buffer(5000)
        )
    )
    blocked = shapely.union_all(
        [weser_water().buffer(15), *(f.buffer(20) for f in forest_areas().values())]
    )
    inner = city_polygon().buffer(-25)
    result = {}
    for s in SETTLEMENTS:
        cell = next(c for c in cells if c.contains(Point(s.xy)))
        disc = wobble(
            Point(s.xy).buffer(s.radius, 32), rng_for(f"bebauung:{s.name}"), s.radius * 0.22, 40.0
        )
        area = shapely.difference(
            shapely.intersection(shapely.intersection(disc, cell), inner), blocked
        )
        result[s.name] = area
    return result


def _rotate(u: np.ndarray, v: np.ndarray, angle: float, origin: tuple[float, float]) -> np.ndarray:
    cos, sin = np.cos(angle), np.sin(angle)
    return np.stack([origin[0] + u * cos - v * sin, origin[1] + u * sin + v * cos], axis=-1)


def blocks_for(s: Settlement, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Lower-left corners (local u, v) of the blocks inside the built-up area, and the grid angle."""
    scheme = SCHEMES[s.scheme]
    angle = float(rng.uniform(0, np.pi / 2))
    pu, pv = scheme.block[0] + scheme.street, scheme.block[1] + scheme.street
    n_u, n_v = int(s.radius * 1.4 / pu) + 1, int(s.radius * 1.4 / pv) + 1
    uu, vv = np.meshgrid(np.arange(-n_u, n_u) * pu, np.arange(-n_v, n_v) * pv)
    corners = np.column_stack([uu.ravel(), vv.ravel()])
    bw, bh = scheme.block
    ring_u = corners[:, :1] + np.array([0, bw, bw, 0, 0])
    ring_v = corners[:, 1:] + np.array([0, 0, bh, bh, 0])
    polys = shapely.polygons(_rotate(ring_u, ring_v, angle, s.xy))
    area = built_up_areas()[s.name]
    shapely.prepare(area)
    return corners[shapely.contains(area, polys)], angle


def _cuts(rng: np.random.Generator, length: float, width: tuple[float, float]) -> list[float]:
    """Positions of the plot boundaries along a block side (first 0, last ``length``)."""
    cuts = [0.0]
    while length - cuts[-1] > 2 * width[0]:
        cuts.append(cuts[-1] + float(rng.uniform(*width)))
    if length - cuts[-1] < width[0] and len(cuts) > 1:
        cuts.pop()
    return [*cuts, length]


def split_block(
    rng: np.random.Generator, scheme: Scheme, use: str
) -> list[tuple[list[tuple[float, float]], int]]:
    """Plots of one block in local coordinates, each with its row (0 = front, 1 = back)."""
    bw, bh = scheme.block
    if use in LARGE_USES:
        cuts = (
            [0.0, bw]
            if rng.random() < 0.5
            else [0.0, round(bw * float(rng.uniform(0.4, 0.6)), 1), bw]
        )
        return [
            ([(a, 0.0), (b, 0.0), (b, bh), (a, bh)], 0)
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
        ]
    cuts = _cuts(rng, bw, scheme.plot_width)
    skew = [0.0, *rng.uniform(-1.5, 1.5, len(cuts) - 2).tolist(), 0.0]
    mid = bh * float(rng.uniform(0.42, 0.58))
    plots = []
    for k in range(len(cuts) - 1):
        lo, hi = cuts[k], cuts[k + 1]
        front = [(lo + skew[k], 0.0), (hi + skew[k + 1], 0.0), (hi, mid), (lo, mid)]
        back = [(lo, mid), (hi, mid), (hi - skew[k + 1], bh), (lo - skew[k], bh)]
        plots += [(front, 0), (back, 1)]
    return plots


def _choose_use(rng: np.random.Generator, scheme: Scheme) -> str:
    names = [u for u, _ in scheme.uses]
    weights = np.array([w for _, w in scheme.uses])
    return str(names[int(rng.choice(len(names), p=weights / weights.sum()))])


def settlement_plots(s: Settlement) -> list[dict[str, object]]:
    """All plots of one settlement with their use and group (block, column) key."""
    rng = rng_for(f"flurstuecke:{s.name}")
    scheme = SCHEMES[s.scheme]
    corners, angle = blocks_for(s, rng)
    rows: list[dict[str, object]] = []
    for b, (u0, v0) in enumerate(corners):
        use = _choose_use(rng, scheme)
        for k, (coords, row) in enumerate(split_block(rng, scheme, use)):
            local = np.asarray(coords)
            world = _rotate(local[:, 0] + u0, local[:, 1] + v0, angle, s.xy)
            rows.append(
                {
                    "gemarkung": s.gemarkung,
                    "nutzung": use,
                    "group": (s.name, b, k // 2 if use not in LARGE_USES else k),
                    "row": row,
                    "geometry": Polygon(np.round(world, 2)),
                }
            )
    return rows


def _flur_numbers(frame: gpd.GeoDataFrame, cell: float = 700.0) -> np.ndarray:
    """Flur number per plot: 700 m cells of each Gemarkung numbered from north-west."""
    cx, cy = frame.geometry.centroid.x.to_numpy(), frame.geometry.centroid.y.to_numpy()
    flur = np.zeros(len(frame), dtype=int)
    for _name, idx in frame.groupby("gemarkung").indices.items():
        col = np.floor((cx[idx] - cx[idx].min()) / cell).astype(int)
        row = np.floor((cy[idx].max() - cy[idx]) / cell).astype(int)
        keys = sorted(set(zip(row.tolist(), col.tolist(), strict=True)))
        lookup = {key: i + 1 for i, key in enumerate(keys)}
        flur[idx] = [lookup[key] for key in zip(row.tolist(), col.tolist(), strict=True)]
    return flur


def _number_plots(frame: gpd.GeoDataFrame, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Zähler and Nenner: plots of one block column sometimes share a Zähler (345/1, 345/2)."""
    zaehler, nenner = [0] * len(frame), [0] * len(frame)
    counters: dict[tuple[str, int], int] = {}
    groups = frame.groupby(["gemarkung", "flur", "group"], sort=False).indices
    for (gemarkung, flur, _group), idx in groups.items():
        key = (str(gemarkung), int(flur))
        shared = len(idx) == 2 and rng.random() < 0.35
        for n, i in enumerate(idx):
            if n == 0 or not shared:
                counters[key] = counters.get(key, 0) + (
                    1 if rng.random() < 0.85 else int(rng.integers(2, 6))
                )
            zaehler[i] = counters[key]
            nenner[i] = n + 1 if shared else (int(rng.integers(2, 5)) if rng.random() < 0.06 else 0)
    return zaehler, nenner


def flurstuecke() -> gpd.GeoDataFrame:
    """The example parcel layer (about 15,000 polygons, EPSG:25832)."""
    rows = [row for s in SETTLEMENTS for row in settlement_plots(s)]
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    frame["flur"] = _flur_numbers(frame)
    frame["zaehler"], frame["nenner"] = _number_plots(frame, rng_for("flurstuecke:nummern"))
    frame["kennzeichen"] = [
        f"03{GEMARKUNG_NR[g]:04d}{f:03d}{z:05d}{n:04d}__"
        for g, f, z, n in zip(
            frame["gemarkung"], frame["flur"], frame["zaehler"], frame["nenner"], strict=True
        )
    ]
    frame["flurstueck"] = [
        f"Gemarkung {g}, Flur {f}, {z}" + (f"/{n}" if n else "")
        for g, f, z, n in zip(
            frame["gemarkung"], frame["flur"], frame["zaehler"], frame["nenner"], strict=True
        )
    ]
    frame["flaeche_m2"] = frame.geometry.area.round(1)
    frame["hinweis"] = HINWEIS
    columns = [
        "kennzeichen",
        "flurstueck",
        "gemarkung",
        "flur",
        "zaehler",
        "nenner",
        "flaeche_m2",
        "nutzung",
    ]
    frame = frame.sort_values("kennzeichen", kind="stable").reset_index(drop=True)
    return frame[[*columns, "hinweis", "geometry"]]
