"""Polygon demo layers: city boundary, Ortsteile and the firewood lots in the city forest."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from buergergis.demo.geography import (
    CRS,
    HINWEIS,
    ORTSTEILE,
    city_polygon,
    forest_areas,
    ortsteil_polygons,
    rng_for,
)

#: Firewood lots per forest (Klüt west of the Weser, Schweineberg and Basberg east of it).
LOTS_PER_FOREST = {"Klüt": 18, "Schweineberg": 15, "Basberg": 7}
#: Tree species and their share of the lots.
HOLZARTEN = (
    ("Buche", 0.34),
    ("Eiche", 0.16),
    ("Fichte", 0.14),
    ("Kiefer", 0.07),
    ("Esche", 0.1),
    ("Ahorn", 0.11),
    ("Birke", 0.08),
)
#: Price range (€ per Raummeter) by assortment; softwood costs 25 % less.
PREISE = {"Polterholz": (68.0, 92.0), "Flächenlos": (24.0, 42.0), "Kronenholz": (18.0, 32.0)}
MENGEN = {"Polterholz": (6.0, 30.0), "Flächenlos": (10.0, 45.0), "Kronenholz": (5.0, 22.0)}
HINWEISE = {
    "Polterholz": (
        "Polter am befestigten Waldweg, Abfuhr mit Pkw-Anhänger möglich",
        "Holz liegt in 3-m-Abschnitten am Weg",
        "Zufahrt nur bei trockener Witterung",
    ),
    "Flächenlos": (
        "Motorsägenschein erforderlich; Schutzausrüstung Pflicht",
        "Motorsägenschein erforderlich; Hanglage, nur mit Seilwinde",
        "Motorsägenschein erforderlich; Arbeiten nur werktags bis Sonnenuntergang",
    ),
    "Kronenholz": (
        "Motorsägenschein erforderlich; Kronen liegen verstreut im Bestand",
        "Motorsägenschein erforderlich; nicht allein arbeiten",
        "Motorsägenschein erforderlich; Zufahrt nur bei Frost oder Trockenheit",
    ),
}


def stadtgebiet() -> gpd.GeoDataFrame:
    """The city boundary as one polygon."""
    city = city_polygon()
    return gpd.GeoDataFrame(
        {
            "name": ["Stadt Hameln"],
            "ags": ["03252008"],
            "einwohner": [sum(o.einwohner for o in ORTSTEILE)],
            "flaeche_km2": [round(city.area / 1e6, 2)],
            "hinweis": [HINWEIS],
        },
        geometry=[city],
        crs=CRS,
    )


def ortsteile() -> gpd.GeoDataFrame:
    """The twelve Ortsteile (multipolygons tiling the city area)."""
    polys = ortsteil_polygons()
    return gpd.GeoDataFrame(
        {
            "ot_nr": [f"{i:02d}" for i in range(1, len(ORTSTEILE) + 1)],
            "name": [o.name for o in ORTSTEILE],
            "einwohner": [o.einwohner for o in ORTSTEILE],
            "plz": [o.plz for o in ORTSTEILE],
            "flaeche_ha": [round(polys[o.name].area / 1e4, 1) for o in ORTSTEILE],
            "hinweis": [HINWEIS] * len(ORTSTEILE),
        },
        geometry=[MultiPolygon(polys[o.name].geoms) for o in ORTSTEILE],
        crs=CRS,
    )


def lot_polygon(rng: np.random.Generator, centre: Point, area_m2: float) -> Polygon:
    """An irregular 6–9-gon of the given area around ``centre``."""
    n = int(rng.integers(6, 10))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.75, 1.25, n)
    stretch = float(rng.uniform(1.0, 1.8))
    xs, ys = radii * np.cos(angles) * stretch, radii * np.sin(angles) / stretch
    raw = Polygon(np.column_stack([xs, ys]))
    if not raw.is_valid or raw.area <= 0:
        raw = Point(0, 0).buffer(1.0, 4)
    scale = float(np.sqrt(area_m2 / raw.area))
    turn = float(rng.uniform(0, np.pi))
    cos, sin = np.cos(turn), np.sin(turn)
    coords = np.asarray(raw.exterior.coords) * scale
    rotated = np.column_stack(
        [coords[:, 0] * cos - coords[:, 1] * sin, coords[:, 0] * sin + coords[:, 1] * cos]
    )
    return Polygon(np.round(rotated + [centre.x, centre.y], 2))


def place_lots(
    rng: np.random.Generator, forest: Polygon, count: int, taken: list[Polygon]
) -> list[Polygon]:
    """``count`` non-overlapping lots of 0.1–1 ha inside ``forest``."""
    minx, miny, maxx, maxy = forest.bounds
    inner = forest.buffer(-15)
    shapely.prepare(inner)
    lots: list[Polygon] = []
    while len(lots) < count:
        centre = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        lot = lot_polygon(rng, centre, float(np.exp(rng.uniform(np.log(1000), np.log(10000)))))
        if inner.contains(lot) and not any(lot.distance(other) < 20 for other in [*taken, *lots]):
            lots.append(lot)
    return lots


def _lot_attributes(rng: np.random.Generator, waldort: str, lot: Polygon) -> dict[str, object]:
    names = [h for h, _ in HOLZARTEN]
    holzart = names[int(rng.choice(len(names), p=[w for _, w in HOLZARTEN]))]
    sortiment = str(rng.choice(list(PREISE), p=[0.4, 0.35, 0.25]))
    price = float(rng.uniform(*PREISE[sortiment])) * (
        0.75 if holzart in {"Fichte", "Kiefer"} else 1.0
    )
    start = dt.date(2026, 10, 1) + dt.timedelta(days=int(rng.integers(0, 120)))
    return {
        "waldort": waldort,
        "holzart": holzart,
        "sortiment": sortiment,
        "menge_rm": round(float(rng.uniform(*MENGEN[sortiment])), 1),
        "preis_rm": round(price * 2) / 2,
        "status": str(rng.choice(["frei", "reserviert", "verkauft"], p=[0.6, 0.2, 0.2])),
        "abholung_von": start,
        "abholung_bis": start + dt.timedelta(days=int(rng.integers(60, 150))),
        "hinweise": str(rng.choice(HINWEISE[sortiment])),
        "flaeche_ha": round(lot.area / 1e4, 2),
    }


def holzverkauf() -> gpd.GeoDataFrame:
    """About 40 firewood lots (polygons) on the forested hills, EPSG:25832."""
    rng = rng_for("holzverkauf")
    forests = forest_areas()
    rows: list[dict[str, object]] = []
    geoms: list[Polygon] = []
    for waldort, count in LOTS_PER_FOREST.items():
        lots = place_lots(rng, forests[waldort], count, geoms)
        lots.sort(key=lambda p: (-round(p.centroid.y, -2), p.centroid.x))
        for lot in lots:
            rows.append(_lot_attributes(rng, waldort, lot))
            geoms.append(lot)
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    frame.insert(0, "los_nr", [f"HM-2026-{i:03d}" for i in range(1, len(frame) + 1)])
    frame["kontakt"] = "Städtischer Forstbetrieb Hameln, Tel. 05151 202-1540, holzverkauf@hameln.de"
    frame["hinweis"] = HINWEIS
    return frame
