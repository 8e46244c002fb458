"""The synthetic demo data of Hameln: generation, reproducibility, plausibility, definitions."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import opening_hours
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from buergergis.catalog.models import VectorLayer
from buergergis.catalog.parse import load_definition_file
from buergergis.demo.commands import demo_group
from buergergis.demo.generate import DATASETS, generate
from buergergis.demo.geography import HILLS, HINWEIS, to_utm, weser_water

PROJECT = Path(__file__).resolve().parent.parent
LAYERS = sorted((PROJECT / "layers").glob("*.yaml"))
TODAY = dt.date(2026, 11, 24)
POINT_LAYERS = ("buergeramt", "kitas", "ferienaktionen", "fahrzeugverkauf")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root whose ``data/`` holds freshly generated demo data."""
    base = tmp_path_factory.mktemp("demo-root")
    results = generate(base / "data")
    assert all(r.written for r in results)
    return base


def _checksums(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _read(root: Path, layer: str) -> gpd.GeoDataFrame:
    path = root / "data" / next(d.filename for d in DATASETS if d.layer == layer)
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str)
        points = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float))
        return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")
    return pyogrio.read_dataframe(f"/vsizip/{path}" if path.suffix == ".zip" else path)


def _city(root: Path) -> shapely.Geometry:
    return _read(root, "stadtgebiet").geometry.iloc[0]


def test_generates_every_file_quickly_and_reproducibly(root: Path, tmp_path: Path) -> None:
    data = root / "data"
    assert {p.name for p in data.iterdir()} == {d.filename for d in DATASETS}
    before = _checksums(data)
    again = generate(tmp_path / "data")
    assert sum(r.seconds for r in again) < 20
    assert _checksums(tmp_path / "data") == before


def test_existing_files_are_skipped_unless_forced(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not any(r.written for r in generate(root / "data"))
    import buergergis.demo.generate as gen

    monkeypatch.setattr(gen, "DATASETS", tuple(d for d in DATASETS if d.layer == "kitas"))
    stub = tmp_path / "kitas.geojson"
    stub.write_text("{}", encoding="utf-8")
    assert not gen.generate(tmp_path)[0].written
    assert stub.read_text(encoding="utf-8") == "{}"
    (result,) = gen.generate(tmp_path, force=True)
    assert result.written and result.count == 30
    assert len(pyogrio.read_dataframe(stub)) == 30
    assert not list(tmp_path.glob(".demo-*"))


def test_cli_uses_settings_root_and_skips_existing(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUERGERGIS_ROOT", str(root))
    result = CliRunner().invoke(demo_group, ["generate"])
    assert result.exit_code == 0, result.output
    assert "übersprungen" in result.output
    assert f"0 von {len(DATASETS)} Dateien geschrieben" in result.output


def test_cli_force_with_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import buergergis.demo.generate as gen

    subset = tuple(d for d in gen.DATASETS if d.layer in {"buergeramt", "stellenangebote"})
    monkeypatch.setattr(gen, "DATASETS", subset)
    for _ in range(2):
        result = CliRunner().invoke(demo_group, ["generate", "--force", "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "2 von 2 Dateien geschrieben" in result.output
    assert (tmp_path / "buergeramt.geojson").exists()


@pytest.mark.parametrize("path", LAYERS, ids=[p.stem for p in LAYERS])
def test_layer_definition_validates_and_matches_data(root: Path, path: Path) -> None:
    layer = load_definition_file(path, root=root)
    assert layer.attribution == "Stadt Hameln (Beispieldaten)"
    assert "Beispieldaten – keine amtliche Auskunft" in layer.description
    assert layer.license in {"dl-de/zero-2-0", "CC-BY-4.0"}
    assert layer.source.path.startswith("data/")
    if isinstance(layer, VectorLayer):
        frame = _read(root, layer.id)
        assert layer.attributes is not None
        missing = {a.source or a.name for a in layer.attributes} - set(frame.columns)
        assert not missing
        assert layer.id_column is not None
        assert frame[layer.id_column].is_unique


def test_every_dataset_has_a_definition() -> None:
    assert {d.layer for d in DATASETS} | {"gelaende-farbe"} == {p.stem for p in LAYERS}


def test_every_vector_dataset_carries_the_hinweis(root: Path) -> None:
    for dataset in DATASETS:
        if dataset.layer != "gelaende":
            assert set(_read(root, dataset.layer)["hinweis"]) == {HINWEIS}, dataset.layer


def test_city_area_is_about_102_km2(root: Path) -> None:
    city = _city(root)
    assert city.is_valid
    assert 101e6 < city.area < 104e6
    rathaus = gpd.GeoSeries.from_xy([9.3590], [52.1036], crs="EPSG:4326").to_crs(25832).iloc[0]
    assert city.contains(rathaus)


def test_ortsteile_tile_the_city_without_gaps_or_overlaps(root: Path) -> None:
    city = _city(root)
    ortsteile = _read(root, "ortsteile")
    assert ortsteile.crs.to_epsg() == 25832
    assert len(ortsteile) == 12
    union = shapely.union_all(ortsteile.geometry.values)
    assert ortsteile.geometry.area.sum() == pytest.approx(city.area, rel=1e-6)
    assert union.area == pytest.approx(city.area, rel=1e-6)
    assert shapely.symmetric_difference(union, city).area < 1.0
    assert ortsteile["einwohner"].sum() > 50_000


def test_ortsteile_shapefile_is_cp1252_with_cpg(root: Path) -> None:
    path = root / "data" / "ortsteile.zip"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {
            "ortsteile.shp",
            "ortsteile.shx",
            "ortsteile.dbf",
            "ortsteile.prj",
            "ortsteile.cpg",
        } <= names
        assert archive.read("ortsteile.cpg").decode("ascii").strip().upper() in {
            "CP1252",
            "1252",
            "ANSI 1252",
        }
        dbf = archive.read("ortsteile.dbf")
    assert "Tündern".encode("cp1252") in dbf
    assert "Tündern".encode() not in dbf
    names_read = set(pyogrio.read_dataframe(f"/vsizip/{path}/ortsteile.shp")["name"])
    assert {"Kernstadt", "Tündern", "Sünteltal", "Klein Berkel", "Wangelist"} <= names_read


@pytest.mark.parametrize("layer", [*POINT_LAYERS, "stellenangebote"])
def test_points_lie_in_the_city_and_in_their_ortsteil(root: Path, layer: str) -> None:
    city = _city(root)
    frame = _read(root, layer).to_crs(25832)
    assert frame.geometry.within(city).all()
    assert not frame.geometry.intersects(weser_water()).any()
    ortsteile = _read(root, "ortsteile")
    ortsteile = ortsteile.rename(columns={"name": "ortsteil_name"})[["ortsteil_name", "geometry"]]
    joined = gpd.sjoin(frame, ortsteile, predicate="within", how="left")
    assert len(joined) == len(frame)
    assert (joined["ortsteil_name"] == joined["ortsteil"]).all()


def test_buergeramt_contents(root: Path) -> None:
    frame = _read(root, "buergeramt")
    assert 3 <= len(frame) <= 6
    standesamt = frame[frame["name"] == "Standesamt Hameln"].iloc[0]  # the Rathaus' online service
    assert "Geburtsurkunde" in standesamt["leistungen"]
    assert standesamt["online_url"].startswith("https://www.hameln.de/")
    assert "Rathausplatz 1, 31785 Hameln" in set(frame["adresse"])
    for hours in frame["oeffnungszeiten"]:
        opening_hours.OpeningHours(hours)
    assert frame["termin_url"].str.startswith("https://www.hameln.de/").all()
    assert frame["adresse"].str.contains(r"\b3178[579] Hameln$").all()


def test_kitas_and_ferienaktionen(root: Path) -> None:
    kitas = _read(root, "kitas")
    assert 25 <= len(kitas) <= 35
    assert kitas["plaetze"].between(10, 200).all()
    aktionen = _read(root, "ferienaktionen")
    start = pd.to_datetime(aktionen["beginn"]).dt.date
    end = pd.to_datetime(aktionen["ende"]).dt.date
    assert (start <= end).all()
    assert start.min() >= dt.date(2026, 3, 1) and end.max() <= dt.date(2027, 8, 31)
    assert (end < TODAY).any() and (start > TODAY).any()
    assert (aktionen["alter_von"] <= aktionen["alter_bis"]).all()


def test_holzverkauf_lots_are_in_the_forest_on_hills(root: Path) -> None:
    path = root / "data" / "holzverkauf.gpkg"
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["lose"]
    lots = pyogrio.read_dataframe(path, layer="lose")
    assert lots.crs.to_epsg() == 25832
    assert 35 <= len(lots) <= 45
    assert lots["los_nr"].str.fullmatch(r"HM-2026-\d{3}").all()
    assert lots.geometry.area.between(1000, 10_000).all()
    assert lots.geometry.within(_city(root)).all()
    assert lots.geometry.area.sum() == pytest.approx(shapely.union_all(lots.geometry.values).area)
    assert set(lots["status"]) <= {"frei", "reserviert", "verkauft"}
    assert pd.api.types.is_datetime64_any_dtype(lots["abholung_von"])
    with rasterio.open(root / "data" / "gelaende.tif") as src:
        heights = [v[0] for v in src.sample([(p.x, p.y) for p in lots.geometry.centroid])]
    assert min(heights) > 100 and float(np.mean(heights)) > 150  # valley floor: about 62 m


def test_fahrzeugverkauf_at_the_betriebshof(root: Path) -> None:
    frame = _read(root, "fahrzeugverkauf").to_crs(25832)
    assert len(frame) == 8
    assert frame.geometry.distance(frame.geometry.iloc[0]).max() < 100
    assert set(frame["status"]) <= {"verfügbar", "reserviert", "verkauft"}


def test_stellenangebote_csv_has_lon_lat(root: Path) -> None:
    path = root / "data" / "stellenangebote.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"lon", "lat", "titel", "bewerbungsfrist", "befristet"} <= set(header)
    frame = pd.read_csv(path, dtype=str)
    assert len(frame) == 12
    assert frame["lon"].astype(float).between(9.25, 9.48).all()
    assert frame["lat"].astype(float).between(52.04, 52.18).all()
    assert set(frame["befristet"]) == {"true", "false"}
    deadlines = pd.to_datetime(frame["bewerbungsfrist"]).dt.date
    assert (deadlines < TODAY).any() and (deadlines > TODAY).any()


def test_flurstuecke_are_many_disjoint_parcels(root: Path) -> None:
    path = root / "data" / "flurstuecke.fgb"
    assert pyogrio.read_info(path)["driver"] == "FlatGeobuf"
    parcels = pyogrio.read_dataframe(path)
    assert parcels.crs.to_epsg() == 25832
    assert 12_000 <= len(parcels) <= 20_000
    assert parcels["kennzeichen"].is_unique
    assert (
        parcels["flurstueck"].str.fullmatch(r"Gemarkung [\wäöüÄÖÜß ]+, Flur \d+, \d+(/\d+)?").all()
    )
    assert parcels.geometry.within(_city(root)).all()
    assert not parcels.geometry.intersects(weser_water()).any()
    union = shapely.union_all(parcels.geometry.values)
    assert parcels.geometry.area.sum() == pytest.approx(union.area, rel=1e-6)
    assert parcels["flaeche_m2"].to_numpy() == pytest.approx(
        parcels.geometry.area.to_numpy(), abs=0.06
    )


def test_gelaende_raster(root: Path) -> None:
    with rasterio.open(root / "data" / "gelaende.tif") as src:
        assert src.crs.to_epsg() == 25832
        assert src.nodata == -9999
        assert src.dtypes[0] == "float32"
        assert src.res == (20.0, 20.0)
        assert 15_000 <= src.width * src.res[0] <= 17_000
        data = src.read(1)
        klut = next(src.sample([to_utm(*HILLS[0][1:3])]))[0]
        hinweis = src.tags().get("hinweis")
    valid = data[data != -9999]
    assert valid.size == data.size
    assert 55 <= valid.min() <= 64
    assert 290 <= valid.max() <= 360
    assert HILLS[0][0] == "Klüt"
    assert 250 < klut < 262
    assert hinweis == HINWEIS
    assert float(np.abs(np.diff(data, axis=1)).max()) < 15  # smooth: no cliffs between pixels


def test_definitions_reference_documented_files() -> None:
    readme = (PROJECT / "data" / "README.md").read_text(encoding="utf-8")
    assert "Beispieldaten – keine amtliche Auskunft" in readme
    for dataset in DATASETS:
        assert f"`{dataset.filename}`" in readme
        assert re.search(rf"`{re.escape(dataset.layer)}`", readme)
