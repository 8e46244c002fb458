"""``buergergis demo generate``: write the synthetic demo layers of Hameln into ``data/``.

Everything is computed from fixed seeds — no network, no other datasets — and written
byte-for-byte reproducibly, so a re-generated file has the same checksum and is not
reloaded needlessly. Existing files are kept unless ``force`` is given.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from buergergis.demo import addresses, areas, parcels, points, terrain
from buergergis.demo.writers import (
    write_csv,
    write_flatgeobuf,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
)


@dataclass(frozen=True)
class Dataset:
    """One demo file: layer id, file name (relative to the data folder), format and writer."""

    layer: str
    filename: str
    format: str
    write: Callable[[Path], int]
    unit: str = "Objekte"


@dataclass(frozen=True)
class Result:
    """What happened to one dataset: written (with feature or pixel count) or skipped."""

    dataset: Dataset
    path: Path
    written: bool
    count: int | None = None
    seconds: float = 0.0


DATASETS: tuple[Dataset, ...] = (
    Dataset("stadtgebiet", "stadtgebiet.gpkg", "GeoPackage, EPSG:25832",
            lambda p: write_gpkg(areas.stadtgebiet(), p, "stadtgebiet")),
    Dataset("ortsteile", "ortsteile.zip", "Shapefile (zip, cp1252 mit .cpg), EPSG:25832",
            lambda p: write_shapefile_zip(areas.ortsteile(), p, "cp1252")),
    Dataset("buergeramt", "buergeramt.geojson", "GeoJSON, EPSG:4326",
            lambda p: write_geojson(points.buergeramt(), p)),
    Dataset("kitas", "kitas.geojson", "GeoJSON, EPSG:4326", lambda p: write_geojson(points.kitas(), p)),
    Dataset("ferienaktionen", "ferienaktionen.geojson", "GeoJSON, EPSG:4326",
            lambda p: write_geojson(points.ferienaktionen(), p)),
    Dataset("holzverkauf", "holzverkauf.gpkg", "GeoPackage (Layer lose), EPSG:25832",
            lambda p: write_gpkg(areas.holzverkauf(), p, "lose")),
    Dataset("fahrzeugverkauf", "fahrzeugverkauf.geojson", "GeoJSON, EPSG:4326",
            lambda p: write_geojson(points.fahrzeugverkauf(), p)),
    Dataset("stellenangebote", "stellenangebote.csv", "CSV (UTF-8, Spalten lon/lat), EPSG:4326",
            lambda p: write_csv(points.stellenangebote(), p)),
    Dataset("adressen", "adressen.gpkg", "GeoPackage (Layer adressen), EPSG:25832",
            lambda p: write_gpkg(addresses.adressen(), p, "adressen")),
    Dataset("flurstuecke", "flurstuecke.fgb", "FlatGeobuf, EPSG:25832",
            lambda p: write_flatgeobuf(parcels.flurstuecke(), p)),
    Dataset("gelaende", "gelaende.tif", "GeoTIFF float32, EPSG:25832, 20 m", terrain.write_geotiff, "Pixel"),
)  # fmt: skip


def dataset_paths(out: Path) -> dict[str, Path]:
    """The file of every demo layer inside ``out``."""
    return {ds.layer: out / ds.filename for ds in DATASETS}


def _write_atomically(dataset: Dataset, target: Path) -> int:
    """Write into a temporary folder next to ``target`` and move the file into place."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".demo-") as tmp:
        partial = Path(tmp) / target.name
        count = dataset.write(partial)
        os.replace(partial, target)
    return count


def generate(
    out: Path, force: bool = False, progress: Callable[[Result], None] | None = None
) -> list[Result]:
    """Write all demo files into ``out``; existing files are skipped unless ``force``."""
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for dataset in DATASETS:
        target = out / dataset.filename
        if target.exists() and not force:
            result = Result(dataset, target, written=False)
        else:
            started = time.perf_counter()
            count = _write_atomically(dataset, target)
            result = Result(dataset, target, True, count, time.perf_counter() - started)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
