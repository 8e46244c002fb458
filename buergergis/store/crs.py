"""Coordinate reference systems offered by the OGC API (Part 2): URIs, SRIDs, axis order.

Only the CRSs listed here ever reach SQL, and only as integers from this table. Coordinates
follow the axis order of the CRS definition, as Part 2 requires: EPSG:4326 is latitude,
longitude and EPSG:31467 (Gauß-Krüger) is northing (Hochwert), easting (Rechtswert); CRS84,
EPSG:25832 and EPSG:3857 are east first. PostGIS always works east first, so
``north_first`` CRSs are swapped on the way in and out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from pyproj import Transformer

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
STORAGE_SRID = 25832


@dataclass(frozen=True)
class Crs:
    """One CRS the API offers."""

    uri: str
    srid: int
    north_first: bool  # the first axis of the CRS points north (swap for PostGIS)
    digits: int
    title: str

    @property
    def geographic(self) -> bool:
        """Degrees (CRS84, EPSG:4326) rather than metres."""
        return self.srid == 4326

    @property
    def segment(self) -> float:
        """Densification step for bbox/geometry literals before they are transformed."""
        return 0.01 if self.geographic else 1000.0


CRS84 = Crs(CRS84_URI, 4326, False, 7, "WGS 84 (Länge, Breite)")
SUPPORTED: tuple[Crs, ...] = (
    CRS84,
    Crs(EPSG_URI.format(code=4326), 4326, True, 7, "WGS 84 (Breite, Länge)"),
    Crs(EPSG_URI.format(code=25832), 25832, False, 3, "ETRS89 / UTM 32N"),
    Crs(EPSG_URI.format(code=3857), 3857, False, 2, "WGS 84 / Pseudo-Mercator"),
    Crs(
        EPSG_URI.format(code=31467),
        31467,
        True,
        3,
        "DHDN / Gauß-Krüger Zone 3 (Hochwert, Rechtswert)",
    ),
)
_BY_URI = {c.uri: c for c in SUPPORTED}
_SHORT = re.compile(r"^\[?(?:EPSG|epsg):(?:0:)?(\d{4,5})\]?$")
_CRS84_ALIASES = {"CRS84", "OGC:CRS84", "[OGC:CRS84]", "http://www.opengis.net/def/crs/OGC/0/CRS84"}


def storage_crs() -> Crs:
    """The CRS layer geometries are stored in."""
    return _BY_URI[EPSG_URI.format(code=STORAGE_SRID)]


def find_crs(value: str) -> Crs | None:
    """The CRS for a URI (``http://www.opengis.net/def/crs/EPSG/0/25832``), a safe CURIE
    (``[EPSG:25832]``) or a short code (``EPSG:25832``); ``None`` when not offered."""
    value = value.strip()
    if value in _CRS84_ALIASES:
        return CRS84
    if value.startswith("https://"):
        value = "http://" + value[len("https://") :]
    match = _SHORT.match(value)
    if match:
        value = EPSG_URI.format(code=match.group(1))
    return _BY_URI.get(value)


@lru_cache(maxsize=16)
def _to_storage(srid: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{srid}", f"EPSG:{STORAGE_SRID}", always_xy=True)


def in_range(crs: Crs, x: float, y: float) -> bool:
    """Whether ``(x, y)`` (x/y order of the SRID: lon/lat for 4326) can be transformed."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    if crs.geographic:
        return -180 <= x <= 180 and -90 <= y <= 90
    tx, ty = _to_storage(crs.srid).transform(x, y, errcheck=False)
    return math.isfinite(tx) and math.isfinite(ty) and abs(tx) < 1e8 and abs(ty) < 1e8
