"""Byte-reproducible writers for the demo files (same input → same checksum).

GDAL stamps the current date into GeoPackages (``gpkg_contents.last_change``) and DBF
headers; both are pinned to :data:`DATENSTAND`. Zip members get a fixed timestamp.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from buergergis.demo.geography import HINWEIS

#: The fixed "Datenstand" of the demo data.
DATENSTAND = dt.date(2026, 11, 24)


@contextlib.contextmanager
def pinned_gdal_date() -> Iterator[None]:
    """Let GDAL write :data:`DATENSTAND` instead of the current time (GeoPackage)."""
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{DATENSTAND.isoformat()}T00:00:00.000Z"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> int:
    """Write one GeoPackage layer (date columns become real GeoPackage dates)."""
    with pinned_gdal_date():
        frame.to_file(
            path, layer=layer, driver="GPKG", engine="pyogrio", use_arrow=True,
            layer_options={"DESCRIPTION": HINWEIS, "IDENTIFIER": layer},
        )  # fmt: skip
    return len(frame)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> int:
    """Write RFC 7946 GeoJSON (WGS84, 7 decimals)."""
    frame.to_file(
        path, driver="GeoJSON", engine="pyogrio", use_arrow=True,
        layer_options={"RFC7946": "YES", "DESCRIPTION": HINWEIS},
    )  # fmt: skip
    return len(frame)


def write_flatgeobuf(frame: gpd.GeoDataFrame, path: Path) -> int:
    """Write FlatGeobuf with a spatial index."""
    frame.to_file(
        path, driver="FlatGeobuf", engine="pyogrio",
        layer_options={"SPATIAL_INDEX": "YES", "TITLE": path.stem, "DESCRIPTION": HINWEIS},
    )  # fmt: skip
    return len(frame)


def write_csv(frame: pd.DataFrame, path: Path) -> int:
    """Write UTF-8 CSV with a header line and ``\\n`` line ends."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return len(frame)


def write_shapefile_zip(frame: gpd.GeoDataFrame, path: Path, encoding: str = "cp1252") -> int:
    """Write a Shapefile (with ``.cpg``) in ``encoding`` and pack it into the zip ``path``."""
    stem = path.stem
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".shp-") as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        frame.to_file(
            shp, driver="ESRI Shapefile", engine="pyogrio", encoding=encoding, promote_to_multi=True,
            layer_options={"DBF_DATE_LAST_UPDATE": DATENSTAND.isoformat()},
        )  # fmt: skip
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(Path(tmp).iterdir()):
                info = zipfile.ZipInfo(
                    member.name,
                    date_time=(DATENSTAND.year, DATENSTAND.month, DATENSTAND.day, 0, 0, 0),
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, member.read_bytes())
    return len(frame)
