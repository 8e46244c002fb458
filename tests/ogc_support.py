"""Fixture layers for the OGC API tests: small files written here, loaded by the real pipeline.

``load_ogc_layers`` is idempotent per database (several test modules call it); it writes
sources in four CRSs (25832, 4326, 31467 and the official VG5000 cut) so that every
reprojection path is exercised.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, text

from buergergis.catalog.models import Attribute, Source, Temporal, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings

SHARED_GPKG = (
    Path(__file__).resolve().parents[2] / "shared/data/official/derived_hameln_pyrmont_25832.gpkg"
)
CENTRE = (525_300.0, 5_773_100.0)
NAMES = [
    "Bürgeramt Mitte",
    "Bürgeramt Nord",
    "Bürgeramt Klein Berkel",
    "Stadtmühle",
    "Alte Mühle Wehrbergen",
    "Muhle am Wall",
    "Rathaus",
    "Stadtbücherei",
    "Bürgerbüro Afferde",
    "Tourist-Information",
    "Hochzeitshaus",
    "Theater Hameln",
]
_loaded: dict[str, list[str]] = {}


def _points(directory: Path) -> Path:
    rng = np.random.default_rng(7)
    n = len(NAMES)
    frame = gpd.GeoDataFrame(
        {
            "name": NAMES,
            "art": ["Bürgeramt" if "Bürger" in s else "Sonstiges" for s in NAMES],
            "plz": [
                "31785",
                "31787",
                "31789",
                "31785",
                "31787",
                "31785",
                "31785",
                "31785",
                "31789",
                "31785",
                "31785",
                "31785",
            ],
            "besucher": rng.integers(10, 5000, n),
            "flaeche": np.round(rng.uniform(50, 900, n), 2),
            "barrierefrei": [i % 3 != 0 for i in range(n)],
            "eroeffnet": [date(2000 + i, 1 + i % 12, 1 + i) for i in range(n)],
            "geaendert": [
                datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(days=30 * i, hours=i)
                for i in range(n)
            ],
        },
        geometry=shapely.points(
            CENTRE[0] + rng.normal(0, 2500, n), CENTRE[1] + rng.normal(0, 2500, n)
        ),
        crs="EPSG:25832",
    )
    frame.loc[5, "plz"] = None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "buergeraemter.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def _polygons_4326(directory: Path) -> Path:
    """Construction sites as GeoJSON in WGS84, with open and closed intervals."""
    rng = np.random.default_rng(11)
    n = 30
    lon = 9.357 + rng.normal(0, 0.03, n)
    lat = 52.104 + rng.normal(0, 0.02, n)
    boxes = [shapely.box(x, y, x + 0.002, y + 0.0015) for x, y in zip(lon, lat, strict=True)]
    starts = [date(2024, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 500, n)]
    ends = [
        s + timedelta(days=int(d)) for s, d in zip(starts, rng.integers(5, 200, n), strict=True)
    ]
    ends[3] = None  # still running
    ends[7] = None
    frame = gpd.GeoDataFrame(
        {
            "titel": [f"Baustelle {i:02d} {'Straße' if i % 2 else 'Brücke'}" for i in range(n)],
            "beginn": [s.isoformat() for s in starts],
            "ende": [e.isoformat() if e else None for e in ends],
            "sperrung": [i % 4 == 0 for i in range(n)],
        },
        geometry=boxes,
        crs="EPSG:4326",
    )
    path = directory / "baustellen.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def _lines_31467(directory: Path) -> Path:
    """Cycle routes delivered in Gauß-Krüger (EPSG:31467)."""
    rng = np.random.default_rng(5)
    lines = []
    for _ in range(15):
        x, y = 3_525_400 + rng.normal(0, 3000), 5_774_900 + rng.normal(0, 3000)
        steps = rng.normal(0, 150, (8, 2)).cumsum(axis=0)
        lines.append(shapely.linestrings(steps + (x, y)))
    frame = gpd.GeoDataFrame(
        {
            "route": [f"R{i}" for i in range(15)],
            "laenge_km": [round(line.length / 1000, 3) for line in lines],
        },
        geometry=lines,
        crs="EPSG:31467",
    )
    path = directory / "radwege.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def _many_points(directory: Path, n: int = 257) -> Path:
    """Enough points for paging; ``gruppe`` has few values so sorting by it has ties."""
    rng = np.random.default_rng(3)
    frame = gpd.GeoDataFrame(
        {"gruppe": rng.choice(["a", "b", "c"], n), "wert": rng.integers(0, 20, n)},
        geometry=shapely.points(
            CENTRE[0] + rng.normal(0, 4000, n), CENTRE[1] + rng.normal(0, 4000, n)
        ),
        crs="EPSG:25832",
    )
    path = directory / "messpunkte.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def definitions(directory: Path) -> list[VectorLayer]:
    """The layer definitions of the fixture layers (sources written into ``directory``)."""
    directory.mkdir(parents=True, exist_ok=True)
    layers = [
        VectorLayer(
            id="buergeraemter",
            title="Bürgerämter",
            title_en="Citizen offices",
            description="Bürgerämter und öffentliche Einrichtungen in Hameln.",
            keywords=("Verwaltung", "Bürgeramt"),
            source=Source(path=str(_points(directory))),
            attributes=(
                Attribute(name="name", title="Name"),
                Attribute(name="art", title="Art", title_en="Kind"),
                Attribute(name="plz", title="Postleitzahl"),
                Attribute(name="besucher", type="integer", title="Besucher je Woche"),
                Attribute(name="flaeche", type="float", title="Fläche (m²)"),
                Attribute(name="barrierefrei", type="boolean", title="Barrierefrei"),
                Attribute(name="eroeffnet", type="date", title="Eröffnet"),
                Attribute(name="geaendert", type="datetime", title="Geändert"),
            ),
            temporal=Temporal(start="eroeffnet"),
        ),
        VectorLayer(
            id="baustellen",
            title="Baustellen",
            source=Source(path=str(_polygons_4326(directory))),
            attributes=(
                Attribute(name="titel", title="Titel"),
                Attribute(name="beginn", type="date", title="Beginn"),
                Attribute(name="ende", type="date", title="Ende"),
                Attribute(name="sperrung", type="boolean", title="Vollsperrung"),
            ),
            temporal=Temporal(start="beginn", end="ende"),
            license="cc-by-4.0",
        ),
        VectorLayer(
            id="radwege",
            title="Radwege",
            source=Source(path=str(_lines_31467(directory))),
            attributes=(
                Attribute(name="route", title="Route"),
                Attribute(name="laenge_km", type="float", title="Länge (km)"),
            ),
        ),
        VectorLayer(
            id="messpunkte",
            title="Messpunkte",
            source=Source(path=str(_many_points(directory))),
            attributes=(
                Attribute(name="gruppe", title="Gruppe"),
                Attribute(name="wert", type="integer", title="Wert"),
            ),
        ),
        VectorLayer(
            id="geheim",
            title="Interne Liste",
            public=False,
            source=Source(path=str(_points(directory / "private"))),
        ),
    ]
    if SHARED_GPKG.exists():
        layers.append(
            VectorLayer(
                id="gemeinden",
                title="Gemeinden im Landkreis Hameln-Pyrmont",
                source=Source(path=str(SHARED_GPKG), layer="gemeinden_vg5000"),
                attribution="© GeoBasis-DE / BKG 2021",
                id_column="AGS",
                attributes=(
                    Attribute(name="ags", source="AGS", title="Gemeindeschlüssel"),
                    Attribute(name="gen", source="GEN", title="Name"),
                    Attribute(name="bez", source="BEZ", title="Bezeichnung"),
                ),
            )
        )
    return layers


def load_ogc_layers(engine: Engine, settings: Settings, directory: Path) -> list[str]:
    """Load the fixture layers once per database; returns the ids."""
    key = str(settings.database_url)
    if key not in _loaded:
        ids = []
        for definition in definitions(directory):
            load_layer(engine, settings, definition)
            ids.append(definition.id)
        _loaded[key] = ids
    return _loaded[key]


def frame_of(engine: Engine, layer_id: str) -> gpd.GeoDataFrame:
    """The live data of a layer straight from the database (storage CRS)."""
    sql = text(f'SELECT * FROM layers."{layer_id}" ORDER BY gid')  # noqa: S608 - test ids
    with engine.connect() as conn:
        return gpd.read_postgis(sql, conn, geom_col="geom")


def as_frame(records: list[dict]) -> pd.DataFrame:
    """A DataFrame from GeoJSON features (id + properties)."""
    return pd.DataFrame([{"id": f["id"], **f["properties"]} for f in records])
