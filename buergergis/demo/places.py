"""Named places of the demo data: streets per settlement and a stable location per facility.

A facility (Rathaus, a Kita, the Betriebshof …) always gets the same location and address,
whichever layer mentions it, because both are drawn from a generator seeded by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shapely.geometry import Point

from buergergis.demo.geography import (
    ORTSTEIL_BY_NAME,
    SETTLEMENT_BY_NAME,
    place_point,
    rng_for,
    to_wgs84,
    utm_point,
)
from buergergis.demo.texts import BUERGERAEMTER, KITAS, VENUES

STREETS: dict[str, tuple[str, ...]] = {
    "Altstadt": (
        "Osterstraße",
        "Bäckerstraße",
        "Wendenstraße",
        "Ritterstraße",
        "Emmernstraße",
        "Pferdemarkt",
        "Neue Marktstraße",
        "Alte Marktstraße",
        "Hummenstraße",
        "Kopmanshof",
    ),
    "Klütviertel": (
        "Klütstraße",
        "Fischbecker Straße",
        "Brückenkopf",
        "Hermannstraße",
        "Felsenkellerweg",
    ),
    "Nordstadt": (
        "Deisterallee",
        "Deisterstraße",
        "Reherweg",
        "Kaiserstraße",
        "Hafenstraße",
        "Breiter Weg",
        "Sedanstraße",
        "Königstraße",
    ),
    "Südstadt": (
        "Ohsener Straße",
        "Bahnhofstraße",
        "Zentralstraße",
        "Wilhelmstraße",
        "Kuhbrückenstraße",
        "Erichstraße",
        "Kastanienwall",
    ),
    "Hameln-Ost": (
        "Hastenbecker Weg",
        "Am Basberg",
        "Scharnhorststraße",
        "Gneisenaustraße",
        "Ostertorwall",
    ),
    "Afferde": (
        "Kirchstraße",
        "Hamelwiese",
        "Am Sportplatz",
        "Lindenstraße",
        "Hilligsfelder Straße",
    ),
    "Hastenbeck": ("Hastenbecker Dorfstraße", "Am Schierholz", "Schulweg", "Am Schweineberg"),
    "Halvestorf": ("Halvestorfer Straße", "Weserblick", "Am Anger"),
    "Haverbeck": ("Haverbecker Straße", "Am Bach", "Lindenweg"),
    "Hilligsfeld": ("Hilligsfelder Dorfstraße", "Am Thie", "Gutshofweg"),
    "Holtensen": ("Holtenser Straße", "Am Knick", "Reiterweg"),
    "Klein Berkel": (
        "Pyrmonter Straße",
        "Kreuzkamp",
        "Am Humme-Ufer",
        "Rosenstraße",
        "Berkeler Warte",
    ),
    "Rohrsen": ("Rohrsener Straße", "Weserstraße", "Mühlenweg", "Am Eschenbach"),
    "Unsen": ("Unsener Straße", "Süntelweg", "Am Mühlenbach"),
    "Welliehausen": ("Welliehäuser Straße", "Am Hang"),
    "Wehrbergen": ("Wehrberger Straße", "Zur Fähre", "Weserweg"),
    "Tündern": ("Tünderner Straße", "Am Weserdeich", "Kirchweg", "Lindenallee"),
    "Wangelist": ("Wangelister Straße", "Süntelstraße", "Am Steinhof", "Lerchenweg"),
}
#: Settlements of the Kernstadt north of the Altstadt use the postcode 31787.
PLZ_OVERRIDE = {"Nordstadt": "31787"}


@dataclass(frozen=True)
class Place:
    """A facility with its location (EPSG:25832), settlement and postal address."""

    name: str
    settlement: str
    point: Point
    adresse: str

    @property
    def ortsteil(self) -> str:
        """The Ortsteil the facility belongs to."""
        return SETTLEMENT_BY_NAME[self.settlement].ortsteil

    @property
    def lonlat(self) -> tuple[float, float]:
        """WGS84 longitude and latitude (7 decimals)."""
        lon, lat = to_wgs84(self.point.x, self.point.y)
        return round(lon, 7), round(lat, 7)


def postcode(settlement: str) -> str:
    """Postcode of a settlement (31785, 31787 or 31789)."""
    return (
        PLZ_OVERRIDE.get(settlement)
        or ORTSTEIL_BY_NAME[SETTLEMENT_BY_NAME[settlement].ortsteil].plz
    )


def _specs() -> list[tuple[str, str, str | None]]:
    """Every facility of the demo data in a fixed order: (name, settlement, street)."""
    specs: list[tuple[str, str, str | None]] = [
        (n, st, street) for n, st, street, *_ in BUERGERAEMTER[1:]
    ]
    specs += [(name, settlement, None) for name, _traeger, settlement, *_ in KITAS]
    specs += [(name, settlement, street) for name, (settlement, street) in VENUES.items()]
    return specs


@cache
def registry() -> dict[str, Place]:
    """All facilities by name; every address is unique."""
    town_hall = Place(
        "Rathaus Hameln", "Altstadt", utm_point(9.35745, 52.10305), "Rathausplatz 1, 31785 Hameln"
    )
    result = {"Rathaus Hameln": town_hall, BUERGERAEMTER[0][0]: town_hall}
    used = {("Rathausplatz", 1)}
    for name, settlement, street in _specs():
        rng = rng_for(f"ort:{name}")
        point = place_point(rng, settlement, 220.0)
        street = street or str(rng.choice(STREETS[settlement]))
        number = int(rng.integers(1, 60))
        while (street, number) in used:
            number += 1
        used.add((street, number))
        result[name] = Place(
            name, settlement, point, f"{street} {number}, {postcode(settlement)} Hameln"
        )
    return result


def place(name: str) -> Place:
    """The location and address of a named facility."""
    return registry()[name]
