"""SQL of the small „Mein Ort" map: points projected and shapes cut to a square frame.

Coordinates come back in metres relative to the frame centre with y pointing down (SVG), so
the page can draw them without a projection library: ``x - cx``, ``cy - y``. ``ST_AsSVG``
already writes y negated. Identifiers only from validated definitions (``store.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from buergergis.store.catalog import LayerRecord

#: At most this many background dots (address points) in one frame.
MAX_DOTS = 6000
ENVELOPE = "ST_MakeEnvelope(:cx - :h, :cy - :h, :cx + :h, :cy + :h, :srid)"


@dataclass(frozen=True)
class Frame:
    """A square of half-width ``half`` metres around (cx, cy) in ``srid``."""

    cx: float
    cy: float
    half: float
    srid: int

    def params(self) -> dict[str, float | int]:
        """Bind parameters of the envelope."""
        return {"cx": self.cx, "cy": self.cy, "h": self.half, "srid": self.srid}


def project(
    conn: Connection, points: list[tuple[float, float]], srid: int
) -> list[tuple[float, float]]:
    """WGS84 (lon, lat) pairs in ``srid`` (same order)."""
    if not points:
        return []
    rows = conn.execute(
        text(
            "SELECT ST_X(p) AS x, ST_Y(p) AS y FROM unnest(CAST(:lons AS float8[]),"
            " CAST(:lats AS float8[])) WITH ORDINALITY AS u(lon, lat, n),"
            " LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), :srid) p) s"
            " ORDER BY n"
        ),
        {"lons": [p[0] for p in points], "lats": [p[1] for p in points], "srid": srid},
    ).all()
    return [(float(r.x), float(r.y)) for r in rows]


def outlines_sql(record: LayerRecord) -> str:
    """Polygon boundaries inside the frame as SVG path data relative to the centre."""
    clip = "ST_Translate(ST_Intersection(ST_Boundary(t.geom), e.g), -:cx, -:cy)"
    source = f"{record.relation} t, (SELECT {ENVELOPE} AS g) e"
    return f"SELECT ST_AsSVG({clip}, 0, 1) AS d FROM {source} WHERE t.geom && e.g"  # noqa: S608


def outlines(conn: Connection, record: LayerRecord, frame: Frame) -> list[str]:
    """Boundaries of ``record``'s polygons crossing the frame (SVG path data)."""
    rows = conn.execute(text(outlines_sql(record)), frame.params()).scalars()
    return [d for d in rows if d]


def dots_sql(record: LayerRecord) -> str:
    """Point features inside the frame, relative to the centre, y down."""
    xy = (
        "round((ST_X(t.geom) - :cx)::numeric, 1) AS x, round((:cy - ST_Y(t.geom))::numeric, 1) AS y"
    )
    where = f"t.geom && {ENVELOPE} ORDER BY t.gid LIMIT :max"
    return f"SELECT {xy} FROM {record.relation} t WHERE {where}"  # noqa: S608


def dots(conn: Connection, record: LayerRecord, frame: Frame) -> list[tuple[float, float]]:
    """Positions of ``record``'s point features inside the frame."""
    rows = conn.execute(text(dots_sql(record)), {**frame.params(), "max": MAX_DOTS}).all()
    return [(float(r.x), float(r.y)) for r in rows]
