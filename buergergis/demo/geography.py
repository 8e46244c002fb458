"""The synthetic geography of Hameln shared by all demo layers.

Everything is built from a handful of hand-placed coordinates (WGS84, converted to
EPSG:25832): the Ortsteil and settlement centres, the course of the Weser, the forested
hills. The city boundary, the Ortsteile, the parcels, the firewood lots and the terrain
are all derived from these, so that the layers agree with each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

SEED = 31785
HINWEIS = "Beispieldaten – keine amtliche Auskunft"
CRS = "EPSG:25832"
#: Area of the city of Hameln (about 102 km²).
CITY_AREA_M2 = 102.3e6

_TO_UTM = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def rng_for(name: str) -> np.random.Generator:
    """A random generator seeded from :data:`SEED` and a name (independent per dataset)."""
    digest = hashlib.sha256(f"{SEED}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def to_utm(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 longitude/latitude to EPSG:25832 easting/northing."""
    x, y = _TO_UTM.transform(lon, lat)
    return float(x), float(y)


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    """EPSG:25832 easting/northing to WGS84 longitude/latitude."""
    lon, lat = _TO_WGS84.transform(x, y)
    return float(lon), float(lat)


def utm_point(lon: float, lat: float) -> Point:
    """A shapely point in EPSG:25832 from WGS84 coordinates."""
    return Point(*to_utm(lon, lat))


@dataclass(frozen=True)
class Settlement:
    """A built-up place: centre, radius of its built-up area and its parcel scheme."""

    name: str
    ortsteil: str
    gemarkung: str
    lon: float
    lat: float
    radius: float
    scheme: str  # "altstadt", "stadt" or "dorf"

    @property
    def xy(self) -> tuple[float, float]:
        """Centre in EPSG:25832."""
        return to_utm(self.lon, self.lat)


@dataclass(frozen=True)
class Ortsteil:
    """An Ortsteil of Hameln with (synthetic) population and postcode."""

    name: str
    einwohner: int
    plz: str


ORTSTEILE: tuple[Ortsteil, ...] = (
    Ortsteil("Kernstadt", 31450, "31785"),
    Ortsteil("Afferde", 5120, "31789"),
    Ortsteil("Hastenbeck", 1380, "31789"),
    Ortsteil("Halvestorf", 1160, "31787"),
    Ortsteil("Haverbeck", 540, "31787"),
    Ortsteil("Hilligsfeld", 1040, "31789"),
    Ortsteil("Holtensen", 1890, "31787"),
    Ortsteil("Klein Berkel", 4730, "31789"),
    Ortsteil("Rohrsen", 2870, "31787"),
    Ortsteil("Sünteltal", 2420, "31787"),
    Ortsteil("Tündern", 2610, "31789"),
    Ortsteil("Wangelist", 2340, "31787"),
)
ORTSTEIL_BY_NAME = {o.name: o for o in ORTSTEILE}

#: Settlements; they are also the seeds of the Ortsteil partition.
SETTLEMENTS: tuple[Settlement, ...] = (
    Settlement("Altstadt", "Kernstadt", "Hameln", 9.3590, 52.1036, 720, "altstadt"),
    Settlement("Klütviertel", "Kernstadt", "Hameln", 9.3420, 52.1065, 820, "stadt"),
    Settlement("Nordstadt", "Kernstadt", "Hameln", 9.3660, 52.1135, 1150, "stadt"),
    Settlement("Südstadt", "Kernstadt", "Hameln", 9.3700, 52.0935, 1100, "stadt"),
    Settlement("Hameln-Ost", "Kernstadt", "Hameln", 9.3850, 52.1030, 1000, "stadt"),
    Settlement("Afferde", "Afferde", "Afferde", 9.4120, 52.0990, 950, "stadt"),
    Settlement("Hastenbeck", "Hastenbeck", "Hastenbeck", 9.4300, 52.0830, 480, "dorf"),
    Settlement("Halvestorf", "Halvestorf", "Halvestorf", 9.3000, 52.1340, 430, "dorf"),
    Settlement("Haverbeck", "Haverbeck", "Haverbeck", 9.2870, 52.1220, 330, "dorf"),
    Settlement("Hilligsfeld", "Hilligsfeld", "Hilligsfeld", 9.4520, 52.1170, 420, "dorf"),
    Settlement("Holtensen", "Holtensen", "Holtensen", 9.4000, 52.1250, 540, "dorf"),
    Settlement("Klein Berkel", "Klein Berkel", "Klein Berkel", 9.3420, 52.0840, 950, "stadt"),
    Settlement("Rohrsen", "Rohrsen", "Rohrsen", 9.3500, 52.1240, 820, "stadt"),
    Settlement("Unsen", "Sünteltal", "Unsen", 9.3850, 52.1410, 420, "dorf"),
    Settlement("Welliehausen", "Sünteltal", "Welliehausen", 9.3650, 52.1520, 330, "dorf"),
    Settlement("Wehrbergen", "Sünteltal", "Wehrbergen", 9.3280, 52.1390, 400, "dorf"),
    Settlement("Tündern", "Tündern", "Tündern", 9.3870, 52.0650, 600, "dorf"),
    Settlement("Wangelist", "Wangelist", "Wangelist", 9.3780, 52.1230, 780, "stadt"),
)
SETTLEMENT_BY_NAME = {s.name: s for s in SETTLEMENTS}

#: The Weser from Emmerthal (SSE) to Fischbeck (NNW), WGS84.
WESER: tuple[tuple[float, float], ...] = (
    (9.4000, 52.0300),
    (9.3950, 52.0420),
    (9.3830, 52.0520),
    (9.3700, 52.0660),
    (9.3620, 52.0800),
    (9.3570, 52.0920),
    (9.3520, 52.1030),
    (9.3460, 52.1130),
    (9.3380, 52.1220),
    (9.3250, 52.1320),
    (9.3050, 52.1430),
    (9.2800, 52.1550),
    (9.2500, 52.1680),
    (9.2300, 52.1800),
)

#: Forested hills: name, lon, lat, radius (m), summit height (m), terrain sigma (m).
HILLS: tuple[tuple[str, float, float, float, float, float], ...] = (
    ("Klüt", 9.3290, 52.0960, 900, 258, 850),
    ("Schweineberg", 9.3990, 52.0850, 800, 272, 850),
    ("Basberg", 9.3930, 52.1140, 480, 214, 520),
)

#: City boundary (rough outline, refined and scaled to :data:`CITY_AREA_M2`).
_OUTLINE: tuple[tuple[float, float], ...] = (
    (9.3600, 52.1640),
    (9.3850, 52.1600),
    (9.4050, 52.1480),
    (9.4230, 52.1340),
    (9.4450, 52.1340),
    (9.4680, 52.1250),
    (9.4720, 52.1090),
    (9.4580, 52.0970),
    (9.4500, 52.0800),
    (9.4360, 52.0690),
    (9.4100, 52.0660),
    (9.4000, 52.0530),
    (9.3860, 52.0470),
    (9.3680, 52.0520),
    (9.3520, 52.0650),
    (9.3300, 52.0740),
    (9.3160, 52.0880),
    (9.3130, 52.1030),
    (9.2930, 52.1090),
    (9.2740, 52.1180),
    (9.2710, 52.1320),
    (9.2860, 52.1460),
    (9.3060, 52.1510),
    (9.3260, 52.1520),
    (9.3420, 52.1600),
)


def utm_polygon(coords: Iterable[tuple[float, float]]) -> Polygon:
    """A polygon in EPSG:25832 from WGS84 vertices."""
    return Polygon([to_utm(lon, lat) for lon, lat in coords])


def wobble(geom: Polygon, rng: np.random.Generator, amplitude: float, step: float) -> Polygon:
    """Densify a polygon and displace its vertices radially by smooth random noise."""
    dense = shapely.segmentize(geom, step)
    coords = np.asarray(dense.exterior.coords)[:-1]
    cx, cy = geom.centroid.x, geom.centroid.y
    angle = np.arctan2(coords[:, 1] - cy, coords[:, 0] - cx)
    noise = np.zeros(len(coords))
    for k in range(3, 24):
        noise += rng.normal(0, 1.0 / k) * np.sin(k * angle + rng.uniform(0, 2 * np.pi))
    noise *= amplitude / max(float(np.abs(noise).max()), 1e-9)
    radius = np.hypot(coords[:, 0] - cx, coords[:, 1] - cy)
    scale = (radius + noise) / np.maximum(radius, 1e-9)
    moved = np.column_stack([cx + (coords[:, 0] - cx) * scale, cy + (coords[:, 1] - cy) * scale])
    result = shapely.make_valid(Polygon(np.round(moved, 2)))
    return largest_polygon(result)


def largest_polygon(geom: BaseGeometry) -> Polygon:
    """The largest polygon part of a geometry."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon)]
    return max(parts, key=lambda p: p.area)


@cache
def city_polygon() -> Polygon:
    """The (synthetic) city boundary of Hameln, about 102 km², in EPSG:25832."""
    rough = wobble(utm_polygon(_OUTLINE), rng_for("stadtgebiet"), 260.0, 120.0)
    factor = float(np.sqrt(CITY_AREA_M2 / rough.area))
    scaled = affinity.scale(rough, factor, factor, origin="centroid")
    city = Polygon(np.round(np.asarray(scaled.exterior.coords), 2))
    for s in SETTLEMENTS:
        if not city.contains(Point(s.xy).buffer(s.radius * 0.5)):
            raise AssertionError(f"Siedlung {s.name} liegt nicht im Stadtgebiet")
    return city


@cache
def weser_line() -> LineString:
    """Centre line of the Weser in EPSG:25832 (upstream first)."""
    return LineString([to_utm(lon, lat) for lon, lat in WESER])


@cache
def weser_water() -> Polygon:
    """The river surface (about 110 m wide)."""
    return weser_line().buffer(55.0)


@cache
def ortsteil_polygons() -> dict[str, MultiPolygon]:
    """Ortsteile as a Voronoi partition of the settlement centres, clipped to the city."""
    city = city_polygon()
    seeds = MultiPoint([s.xy for s in SETTLEMENTS])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=city.buffer(5000)))
    parts: dict[str, list[BaseGeometry]] = {o.name: [] for o in ORTSTEILE}
    for cell in cells:
        owner = next(s for s in SETTLEMENTS if cell.contains(Point(s.xy)))
        parts[owner.ortsteil].append(cell)
    result = {}
    for name, geoms in parts.items():
        clipped = shapely.intersection(shapely.union_all(geoms), city)
        polys = [p for p in shapely.get_parts(clipped) if isinstance(p, Polygon) and p.area > 1]
        result[name] = MultiPolygon(polys)
    return result


@cache
def forest_areas() -> dict[str, Polygon]:
    """City forest on the hills (Klüt, Schweineberg, Basberg) inside the city."""
    city = city_polygon()
    result = {}
    for name, lon, lat, radius, _height, _sigma in HILLS:
        blob = wobble(
            utm_point(lon, lat).buffer(radius, 32), rng_for(f"wald:{name}"), radius * 0.18, 60.0
        )
        result[name] = largest_polygon(shapely.intersection(blob, city))
    return result


def place_point(rng: np.random.Generator, settlement: str, spread: float) -> Point:
    """A random point near a settlement centre, inside its Ortsteil, not in water or forest."""
    s = SETTLEMENT_BY_NAME[settlement]
    home = ortsteil_polygons()[s.ortsteil]
    blocked = blocked_for_points()
    cx, cy = s.xy
    for _ in range(500):
        candidate = Point(
            round(cx + rng.normal(0, spread), 1), round(cy + rng.normal(0, spread), 1)
        )
        if home.contains(candidate.buffer(30)) and not blocked.intersects(candidate):
            return candidate
    raise AssertionError(f"kein Platz für einen Punkt in {settlement}")


@cache
def blocked_for_points() -> BaseGeometry:
    """Where no point may lie: the Weser (with 25 m of bank) and the forest (prepared)."""
    geom = shapely.union_all([weser_water().buffer(25), *forest_areas().values()])
    shapely.prepare(geom)
    return geom
