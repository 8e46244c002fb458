"""Coordinate reference systems of uploads: detection, suggestions, plausibility for Hameln.

When a source names no CRS (no .prj, CSV), the coordinate ranges decide which of the usual
German systems is plausible (EPSG:25832, 31467, 4326); the suggestion whose transformed
centre lies in Hameln comes first. After reading, the share of features in the area of
Hameln-Pyrmont tells whether the CRS is right.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from buergergis.admin.uploads import Dataset
from buergergis.catalog.models import Source
from buergergis.errors import LoadError
from buergergis.ingest.normalise import parse_crs
from buergergis.ingest.read import read_vector
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import resolve

#: Hameln and Landkreis Hameln-Pyrmont with a margin of about 5 km (EPSG:25832).
CITY_AREA = (500_000.0, 5_740_000.0, 555_000.0, 5_800_000.0)
CRS_CANDIDATES = ("EPSG:25832", "EPSG:31467", "EPSG:4326")
#: Coordinate ranges that make a CRS plausible at all (Germany for the projected ones).
CRS_RANGES = {
    "EPSG:25832": (100_000.0, 5_200_000.0, 900_000.0, 6_200_000.0),
    "EPSG:31467": (3_200_000.0, 5_200_000.0, 3_900_000.0, 6_200_000.0),
    "EPSG:4326": (-180.0, -90.0, 180.0, 90.0),
}


@dataclass(frozen=True)
class CrsDecision:
    """The CRS of the source, the one the preview used, and suggestions when it is missing."""

    detected: str | None
    used: str | None
    suggestions: tuple[str, ...] = ()


def decide_crs(path: Path, dataset: Dataset, override: Source, work: Path) -> CrsDecision:
    """Source CRS, the override, or suggestions from the coordinate ranges."""
    detected, bounds = None, None
    if dataset.format != "csv":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                info = pyogrio.read_info(path, layer=dataset.layer, force_total_bounds=True)
        except Exception as exc:
            raise LoadError(f"Datei nicht lesbar: {str(exc)[:200]}") from None
        detected, bounds = crs_name(info.get("crs")), info.get("total_bounds")
    if override.crs:
        return CrsDecision(detected, parse_crs(override.crs).to_string())
    if detected:
        return CrsDecision(detected, None)
    if dataset.format == "csv":
        bounds = _csv_bounds(path, override, work)
    suggestions = suggest_crs(bounds)
    return CrsDecision(None, suggestions[0] if suggestions else None, suggestions)


def crs_name(value: str | None) -> str | None:
    """'EPSG:25832' where possible, else the CRS name."""
    if not value:
        return None
    try:
        crs = CRS.from_user_input(value)
    except CRSError:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _csv_bounds(path: Path, source: Source, work: Path) -> tuple[float, ...] | None:
    frame = read_vector(resolve(path, None, work), source, work, LoadReport(layer_id="vorschau"))
    geoms = frame.geometry.to_numpy()
    geoms = geoms[~shapely.is_missing(geoms)]
    return tuple(shapely.total_bounds(geoms)) if len(geoms) else None


@lru_cache(maxsize=8)
def _to_storage(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:25832", always_xy=True)


def _in_area(x: float, y: float) -> bool:
    x0, y0, x1, y1 = CITY_AREA
    return x0 <= x <= x1 and y0 <= y <= y1


def suggest_crs(bounds: tuple[float, ...] | None) -> tuple[str, ...]:
    """Candidates whose transformed centre lies in Hameln first, then merely plausible ones."""
    if bounds is None or len(bounds) != 4 or not all(math.isfinite(v) for v in bounds):
        return ()
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    inside, plausible = [], []
    for crs in CRS_CANDIDATES:
        x0, y0, x1, y1 = CRS_RANGES[crs]
        if not (x0 <= bounds[0] and bounds[2] <= x1 and y0 <= bounds[1] and bounds[3] <= y1):
            continue
        plausible.append(crs)
        if _in_area(*_to_storage(crs).transform(cx, cy)):
            inside.append(crs)
    return tuple(dict.fromkeys(inside + plausible))


def area_check(geoms: np.ndarray) -> tuple[float, str, str]:
    """Share of features whose centre lies in Hameln-Pyrmont, a status and a German message."""
    if len(geoms) == 0:
        return 0.0, "warn", "Keine Objekte – die Lage lässt sich nicht prüfen."
    b = shapely.bounds(geoms)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    x0, y0, x1, y1 = CITY_AREA
    share = float(((cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)).mean())
    if share >= 0.9:
        return share, "ok", f"{share:.0%} der Objekte liegen im Raum Hameln – plausibel."
    if share > 0:
        return share, "warn", f"Nur {share:.0%} der Objekte liegen im Raum Hameln."
    return (
        share,
        "fail",
        "Kein Objekt liegt im Raum Hameln. Stimmt das Koordinatenreferenzsystem?",
    )
