"""Do a layer's data lie in the city? The one check for ``buergergis import``/``load`` and the
Upload-Doktor.

The city extent is the configured home view (``BUERGERGIS_HOME_EXTENT``, WGS84). A feature
counts as inside when the centre of its bounding box lies in the extent; a layer whose
features lie mostly (more than half) outside is flagged: a staff import in the wrong CRS or
a test file from elsewhere is seen before citizens find it on the city map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

#: Below this share of features inside the city extent, a layer is flagged.
MOSTLY_INSIDE = 0.5


@dataclass(frozen=True)
class ExtentCheck:
    """Share of features inside the city extent and what it means."""

    share: float
    count: int

    @property
    def mostly_outside(self) -> bool:
        """More than half of the features lie outside the city extent."""
        return self.count > 0 and self.share < MOSTLY_INSIDE

    @property
    def message(self) -> str:
        """A German sentence for the import output and the Upload-Doktor."""
        if self.count == 0:
            return "Keine Objekte – die Lage im Stadtgebiet lässt sich nicht prüfen."
        if self.mostly_outside:
            return (
                f"Nur {self.share:.0%} der Objekte liegen im Stadtgebiet "
                "(BUERGERGIS_HOME_EXTENT). Stimmt das Koordinatenreferenzsystem? Die Stadtkarte "
                "öffnet trotzdem über der Stadt; die Ebene ist nur über ihren eigenen Link zu sehen."
            )
        return f"{self.share:.0%} der Objekte liegen im Stadtgebiet."


def _extent_in(
    extent: tuple[float, float, float, float], srid: int
) -> tuple[float, float, float, float]:
    """The WGS84 extent as a box in the CRS of the geometries (densified edges)."""
    if srid == 4326:
        return extent
    transformer = Transformer.from_crs(4326, srid, always_xy=True)
    box = transformer.transform_bounds(*extent, densify_pts=21)
    return (box[0], box[1], box[2], box[3])


def city_share(
    geoms: np.ndarray, srid: int, extent: tuple[float, float, float, float]
) -> ExtentCheck:
    """How many of ``geoms`` (in EPSG ``srid``) lie in the WGS84 ``extent``."""
    tally = ExtentTally(srid, extent)
    tally.add(geoms)
    return tally.result()


class ExtentTally:
    """The same check, counted batch by batch (loads read their source in batches)."""

    def __init__(self, srid: int, extent: tuple[float, float, float, float]) -> None:
        self._box = _extent_in(extent, srid)
        self.inside = 0
        self.count = 0

    def add(self, geoms: np.ndarray) -> None:
        """Count one batch of geometries."""
        present = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
        present = present[~shapely.is_empty(present)] if len(present) else present
        if len(present) == 0:
            return
        x0, y0, x1, y1 = self._box
        b = shapely.bounds(present)
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
        self.inside += int(inside.sum())
        self.count += len(present)

    def result(self) -> ExtentCheck:
        """Share of all counted features inside the extent."""
        if self.count == 0:
            return ExtentCheck(0.0, 0)
        return ExtentCheck(self.inside / self.count, self.count)
