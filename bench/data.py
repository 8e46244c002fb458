"""Benchmark data: a dense parcel-like polygon layer around Hameln (EPSG:25832).

``make_polygons(path, n)`` writes ``n`` small quadrilateral polygons as FlatGeobuf. The
density is highest around the old town (a Gaussian around the centre), like real parcels,
so that a 1 km² bbox in the dense part holds a few thousand features.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

HAMELN_CENTRE = (525_300.0, 5_773_100.0)


def make_polygons(path: Path, n: int, *, seed: int = 42, spread_m: float = 4_000.0) -> Path:
    """Write ``n`` polygons (about 15–40 m wide) with a few attributes; returns ``path``."""
    rng = np.random.default_rng(seed)
    cx = rng.normal(HAMELN_CENTRE[0], spread_m, n)
    cy = rng.normal(HAMELN_CENTRE[1], spread_m, n)
    w = rng.uniform(8, 20, n)
    h = rng.uniform(8, 20, n)
    skew = rng.uniform(-4, 4, n)
    coords = np.stack(
        [
            np.stack([cx - w, cy - h], axis=1),
            np.stack([cx + w, cy - h + skew], axis=1),
            np.stack([cx + w + skew, cy + h], axis=1),
            np.stack([cx - w, cy + h - skew], axis=1),
            np.stack([cx - w, cy - h], axis=1),
        ],
        axis=1,
    )
    polygons = shapely.polygons(coords)
    uses = np.array(["Wohnen", "Gewerbe", "Grünfläche", "Landwirtschaft", "Wald", "Verkehr"])
    frame = gpd.GeoDataFrame(
        {
            "flurstueck": [f"Flur {i // 1000 + 1}, {i % 1000 + 1}" for i in range(n)],
            "nutzung": uses[rng.integers(0, len(uses), n)],
            "flaeche_m2": np.round(shapely.area(polygons), 1),
        },
        geometry=polygons,
        crs="EPSG:25832",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="FlatGeobuf", engine="pyogrio")
    return path


def dense_bbox_4326(size_m: float = 1_000.0) -> tuple[float, float, float, float]:
    """A bbox of about ``size_m`` × ``size_m`` at the dense centre, in CRS84."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:25832", "OGC:CRS84", always_xy=True)
    x0, y0 = HAMELN_CENTRE[0] - size_m / 2, HAMELN_CENTRE[1] - size_m / 2
    x1, y1 = HAMELN_CENTRE[0] + size_m / 2, HAMELN_CENTRE[1] + size_m / 2
    lon0, lat0 = t.transform(x0, y0)
    lon1, lat1 = t.transform(x1, y1)
    return (lon0, lat0, lon1, lat1)
