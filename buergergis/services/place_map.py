"""The small map of „Mein Ort": an SVG sketch drawn on the server, no tiles, no other hosts.

It shows the chosen point, the numbered places of the report (Bürgerbüro, Kitas, wood lots)
that fall inside the frame, the Ortsteil boundaries and – as grey dots – the address points,
which trace the streets. Being plain SVG inside the page it prints and goes into the PDF as
it is. The frame is a square around the point, large enough for the nearest Bürgerbüro and
Kita (within limits).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from buergergis.maps.printing import nice_length
from buergergis.store.catalog import LayerRecord
from buergergis.store.services import place_map as sql

MIN_HALF_M, MAX_HALF_M = 350.0, 2500.0
#: Above this half-width the address dots would be a grey blur: left out.
DOTS_UP_TO_HALF_M = 1500.0
STORAGE_SRID = 25832


@dataclass(frozen=True)
class Marker:
    """A numbered place on the map (x, y: metres from the centre, y down)."""

    kind: str  # "office", "kita", "lot"
    number: int
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class PlaceMap:
    """Everything the SVG template needs."""

    half: float
    outlines: list[str]
    dots: list[tuple[float, float]]
    markers: list[Marker]

    @property
    def view_box(self) -> str:
        """SVG viewBox: the frame centred on the point."""
        h = round(self.half, 1)
        return f"{-h} {-h} {2 * h} {2 * h}"

    @property
    def scale(self) -> tuple[float, str]:
        """Length of the scale bar in metres and its label (a round number)."""
        return nice_length(max(self.half / 2.5, 50.0))  # the print's rule (maps.printing)

    @property
    def unit(self) -> float:
        """One "pixel" in metres, for symbol sizes (the map is about 400 px wide)."""
        return self.half * 2 / 400


@dataclass(frozen=True)
class Place:
    """A place to mark: kind, label and WGS84 position."""

    kind: str
    label: str
    lon: float
    lat: float


def _half(centre: tuple[float, float], near: list[tuple[float, float]]) -> float:
    cx, cy = centre
    reach = max((max(abs(x - cx), abs(y - cy)) for x, y in near), default=0.0) * 1.2
    return min(max(reach, MIN_HALF_M), MAX_HALF_M)


def build(
    conn: Connection,
    lon: float,
    lat: float,
    places: list[Place],
    areas: LayerRecord | None,
    addresses: LayerRecord | None,
) -> PlaceMap:
    """The map around (lon, lat) with ``places`` numbered in order (1, 2, …)."""
    source = areas or addresses
    srid = (source.storage_srid if source else None) or STORAGE_SRID
    projected = sql.project(conn, [(lon, lat)] + [(p.lon, p.lat) for p in places], srid)
    (cx, cy), others = projected[0], projected[1:]
    fit = [xy for p, xy in zip(places, others, strict=True) if p.kind in {"office", "kita"}][:2]
    half = _half((cx, cy), fit)
    frame = sql.Frame(cx, cy, half, srid)
    inside = [
        (p, x, y)
        for p, (x, y) in zip(places, others, strict=True)
        if abs(x - cx) <= half and abs(y - cy) <= half
    ]
    markers = [
        Marker(p.kind, n, p.label, round(x - cx, 1), round(cy - y, 1))
        for n, (p, x, y) in enumerate(inside, start=1)
    ]
    return PlaceMap(
        half=half,
        outlines=sql.outlines(conn, areas, frame) if areas else [],
        dots=sql.dots(conn, addresses, frame) if addresses and half <= DOTS_UP_TO_HALF_M else [],
        markers=markers,
    )
