"""Minimum clearance of polygons, fast for the common case (parcels, buildings).

The minimum clearance of a polygon (GEOS, ``shapely.minimum_clearance``) is the smallest
distance between a vertex and a ring segment not incident to it: no vertex can move by less
than half of it and make the ring touch itself. The vector tiles use it to know which
polygons survive snapping to the tile grid unchanged (``tiles.vector``).

GEOS builds a spatial index per geometry, which costs more than the whole COPY of a small
polygon. Simple polygons — one ring without holes, at most :data:`MAX_VERTICES` distinct
vertices, no zero-length segment — are computed here with numpy, grouped by vertex count:
every vertex against every non-incident segment. Everything else goes to GEOS.
"""

from __future__ import annotations

import numpy as np
import shapely

MAX_VERTICES = 12


def minimum_clearance(geoms: np.ndarray) -> np.ndarray:
    """Minimum clearance of each geometry in metres (``inf`` where GEOS gives none)."""
    result = np.full(len(geoms), np.nan)
    if not len(geoms):
        return result
    simple = (
        (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON)
        & (shapely.get_num_interior_rings(geoms) == 0)
        & (shapely.get_num_coordinates(geoms) <= MAX_VERTICES + 1)
    )
    vertices = shapely.get_num_coordinates(geoms) - 1
    for n in np.unique(vertices[simple]):
        if n < 3:
            continue
        rows = np.flatnonzero(simple & (vertices == n))
        # a polygon without holes: its coordinates are its exterior ring
        ring = shapely.get_coordinates(geoms[rows]).reshape(len(rows), n + 1, 2)
        result[rows] = _ring_clearance(ring[:, :, 0], ring[:, :, 1])
    rest = np.isnan(result)
    if rest.any():
        result[rest] = shapely.minimum_clearance(geoms[rest])
    return result


def _ring_clearance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Clearance of closed rings, coordinates of shape ``(rings, n + 1)`` (last = first).

    NaN for rings with a zero-length segment (left to GEOS).
    """
    n = x.shape[1] - 1
    px, py = x[:, :n], y[:, :n]  # vertices, also the segment starts
    dx, dy = x[:, 1:] - px, y[:, 1:] - py  # segments
    length2 = dx * dx + dy * dy
    safe = np.where(length2 > 0, length2, 1.0)
    clearance = np.full(len(x), np.inf)
    for k in range(n):  # segment k against every vertex not on it
        ax, ay = px[:, k : k + 1], py[:, k : k + 1]
        sx, sy = dx[:, k : k + 1], dy[:, k : k + 1]
        rx, ry = px - ax, py - ay
        t = np.clip((rx * sx + ry * sy) / safe[:, k : k + 1], 0.0, 1.0)
        ex, ey = rx - t * sx, ry - t * sy
        dist = ex * ex + ey * ey
        dist[:, [k, (k + 1) % n]] = np.inf  # the segment's own end points
        np.minimum(clearance, dist.min(axis=1), out=clearance)
    clearance = np.sqrt(clearance)
    clearance[(length2 == 0).any(axis=1)] = np.nan
    return clearance
