"""Address points of the demo streets (EPSG:25832): house numbers along every demo street.

Each street of :data:`buergergis.demo.places.STREETS` becomes a straight street line through
its settlement (seeded by the street's name); houses stand 12 m beside it, odd numbers on
the left, even numbers on the right, about every 18 m. Positions in the Weser, in the forest
or outside the settlement's Ortsteil are skipped; numbers stay consecutive. Every facility
address of the demo data (Rathausplatz 1, the Kitas, …) is an address point at the
facility's own location, so an address search leads to the same place as the facility.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
from shapely.geometry import Point

from buergergis.demo.geography import (
    CRS,
    HINWEIS,
    SETTLEMENT_BY_NAME,
    blocked_for_points,
    ortsteil_polygons,
    rng_for,
)
from buergergis.demo.places import STREETS, postcode, registry
from buergergis.demo.points import slug

#: Distance between houses on one side, and from the street centre line (m).
SPACING_M = 18.0
SETBACK_M = 12.0
_ADDRESS = re.compile(r"^(?P<street>.+?) (?P<number>\d+\w*), (?P<plz>\d{5}) Hameln$")


def _street_houses(settlement: str, street: str) -> list[tuple[int, Point]]:
    """Numbered house positions along one street (numbers 1, 2, 3, … in order)."""
    s = SETTLEMENT_BY_NAME[settlement]
    rng = rng_for(f"strasse:{settlement}:{street}")
    home = ortsteil_polygons()[s.ortsteil]
    blocked = blocked_for_points()
    cx, cy = s.xy
    angle = float(rng.uniform(0, math.pi))
    offset = rng.normal(0, s.radius * 0.35, 2)
    start_x, start_y = cx + offset[0], cy + offset[1]
    length = float(rng.uniform(0.35, 0.9)) * s.radius
    dx, dy = math.cos(angle), math.sin(angle)
    houses: list[tuple[int, Point]] = []
    number = 1
    steps = int(length // SPACING_M)
    for step in range(steps):
        along = step * SPACING_M - length / 2
        for side in (1, -1):  # odd numbers left, even right
            x = start_x + dx * along - dy * SETBACK_M * side
            y = start_y + dy * along + dx * SETBACK_M * side
            candidate = Point(round(x, 1), round(y, 1))
            if not home.contains(candidate) or blocked.intersects(candidate):
                continue
            if (number % 2 == 1) != (side == 1):
                number += 1  # keep odd left and even right
            houses.append((number, candidate))
            number += 1
    return houses


def _facility_addresses() -> dict[tuple[str, str], tuple[str, Point]]:
    """(street, number) → (settlement, location) of every facility address."""
    result = {}
    for place in registry().values():
        match = _ADDRESS.match(place.adresse)
        if match:
            result[(match["street"], match["number"])] = (place.settlement, place.point)
    return result


def _row(settlement: str, street: str, number: str, point: Point) -> dict[str, object]:
    plz = postcode(settlement)
    return {
        "kennung": f"{plz}-{slug(street)}-{number}",
        "adresse": f"{street} {number}",
        "strasse": street,
        "hausnummer": number,
        "plz": plz,
        "ort": f"{plz} Hameln",
        "ortsteil": SETTLEMENT_BY_NAME[settlement].ortsteil,
        "hinweis": HINWEIS,
        "geometry": point,
    }


def adressen() -> gpd.GeoDataFrame:
    """All address points of the demo streets and facilities, sorted by street and number."""
    facilities = _facility_addresses()
    rows = []
    for settlement, streets in STREETS.items():
        for street in streets:
            for number, point in _street_houses(settlement, street):
                if (street, str(number)) not in facilities:
                    rows.append(_row(settlement, street, str(number), point))
    for (street, house), (settlement, point) in facilities.items():
        rows.append(_row(settlement, street, house, point))
    rows.sort(key=lambda r: (str(r["strasse"]), int(re.sub(r"\D", "", str(r["hausnummer"])))))
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    return frame[~frame["kennung"].duplicated()].reset_index(drop=True)
