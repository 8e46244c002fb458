"""Read a resolved vector source into a GeoDataFrame (pyogrio; CSV through pandas)."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError
from shapely.errors import GEOSException

from buergergis.catalog.models import Source
from buergergis.errors import LoadError
from buergergis.ingest.encoding import find_sidecar, shapefile_encoding, text_file_encoding
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import ResolvedSource

_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_X_NAMES = ("x", "lon", "lng", "long", "longitude", "laenge", "rechtswert", "easting", "ostwert")
_Y_NAMES = ("y", "lat", "latitude", "breite", "hochwert", "northing", "nordwert")
_WKT_NAMES = ("wkt", "geometry", "geometrie", "geom", "the_geom")


def read_vector(
    src: ResolvedSource, source: Source, workdir: Path, report: LoadReport
) -> gpd.GeoDataFrame:
    """Read the whole source; unreadable data becomes a :class:`LoadError` with a clear reason."""
    report.format = src.format
    with reading_errors():
        if src.format == "csv":
            return _read_csv(src.path, source, report)
        if src.format == "shapefile":
            return _read_shapefile(src, source, workdir, report)
        return _read_ogr(_safe_path(src.path, (src.path,), workdir), source.layer, None, report)


@contextmanager
def reading_errors() -> Iterator[None]:
    """Reading errors (also while iterating) become a :class:`LoadError` with a clear reason."""
    try:
        yield
    except LoadError:
        raise
    except NotImplementedError:
        raise LoadError(
            "Kurvengeometrien (z. B. CircularString) werden nicht unterstützt."
        ) from None
    except GEOSException as exc:
        raise LoadError(
            f"Geometrien nicht lesbar (nicht unterstützter Geometrietyp, z. B. TIN): {exc}"
        ) from None
    except (DataSourceError, DataLayerError, FieldError, GeometryError) as exc:
        raise LoadError(f"Datei nicht lesbar: {_clean(str(exc))}") from None


def _clean(message: str) -> str:
    return re.sub(r"(/[^\s:]+/)", "", message)[:300]


def _safe_path(path: Path, members: tuple[Path, ...], workdir: Path) -> Path:
    """Link the source files into ``workdir`` under safe names (GDAL dislikes '!' and writes .shx)."""
    if path.suffix.lower() != ".shp" and _SAFE_NAME.match(path.name):
        return path
    folder = workdir / "src"
    folder.mkdir(exist_ok=True)
    for member in members:
        link = folder / ("source" + member.suffix.lower())
        if not link.exists():
            link.symlink_to(member.resolve())
    return folder / ("source" + path.suffix.lower())


#: Curved geometries (CircularString, CompoundCurve, CurvePolygon, MultiCurve, MultiSurface,
#: common in GeoPackages from QGIS) are cut into segments of at most this many degrees of arc:
#: the chord leaves the arc by at most r·(1 − cos 0.5°) ≈ 0.004 % of the radius (< 4 mm at 100 m).
ARC_STEP_DEGREES = 1
_CURVE_TYPES = frozenset({8, 9, 10, 11, 12})


def _curve_count(path: Path, layer: str | None) -> int:
    """How many geometries of the layer are curved (ISO WKB type codes 8–12, also Z/M)."""
    meta, table = pyogrio.read_arrow(path, layer=layer, columns=[])
    count = 0
    for wkb in table.column(meta["geometry_name"] or "wkb_geometry").to_pylist():
        if wkb:
            code = int.from_bytes(wkb[1:5], "little" if wkb[0] == 1 else "big")
            count += (code & 0x0FFFFFFF) % 1000 in _CURVE_TYPES
    return count


def _read_linearised(
    path: Path, layer: str | None, encoding: str | None, report: LoadReport | None
) -> gpd.GeoDataFrame:
    """Read a layer with curves: GDAL turns them into segments of ``ARC_STEP_DEGREES``."""
    curved = _curve_count(path, layer)
    pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": str(ARC_STEP_DEGREES)})
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=False)
    finally:
        pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": None})
    if report is not None and curved:
        report.linearised = curved
        report.note(
            f"{curved} Kurvengeometrien (Kreisbögen) in Liniensegmente umgewandelt: höchstens "
            f"{ARC_STEP_DEGREES}° Bogen je Segment, Abweichung vom Bogen unter 0,004 % des "
            "Radius (unter 4 mm bei 100 m Radius)."
        )
    return frame


def _read_ogr(
    path: Path, layer: str | None, encoding: str | None, report: LoadReport | None = None
) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            names = ", ".join(str(n) for n, _ in layers)
            raise LoadError(
                f"Die Datei enthält mehrere Layer, bitte einen wählen (source.layer): {names}"
            )
        try:
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=True)
        except NotImplementedError:  # curved geometries: shapely cannot read them as WKB
            frame = _read_linearised(path, layer, encoding, report)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise LoadError("Die Datei enthält keine Geometrien.")
    return frame


def _read_shapefile(
    src: ResolvedSource, source: Source, workdir: Path, report: LoadReport
) -> gpd.GeoDataFrame:
    path, codec = prepare_shapefile(src, source, workdir, report)
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
    try:
        return _read_ogr(path, None, codec, report)
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})


def prepare_shapefile(
    src: ResolvedSource, source: Source, workdir: Path, report: LoadReport
) -> tuple[Path, str]:
    """Decide the encoding, note missing sidecars, link the files; returns (path, codec)."""
    guess, notes = shapefile_encoding(src.path, source.encoding)
    for note in notes:
        report.note(note)
    report.encoding, report.encoding_source = guess.codec, guess.source
    if find_sidecar(src.path, ".shx") is None:
        report.note("Die .shx-Datei fehlte und wurde neu aufgebaut.")
    if find_sidecar(src.path, ".dbf") is None:
        report.note("Die .dbf-Datei fehlt: der Layer hat keine Attribute.")
    prj = find_sidecar(src.path, ".prj")
    if prj is not None and b"<" in prj.read_bytes()[:200]:
        report.note(f"{prj.name} ist unbrauchbar und wurde ignoriert")
        members = tuple(m for m in src.members if m != prj)
    else:
        members = src.members
    return _safe_path(src.path, members, workdir), guess.codec


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    if wanted:
        if wanted.lower() not in lower:
            raise LoadError(
                f"Spalte '{wanted}' fehlt in der CSV-Datei. Vorhanden: {', '.join(columns)}"
            )
        return lower[wanted.lower()]
    return next((lower[c] for c in candidates if c in lower), None)


def _read_csv(path: Path, source: Source, report: LoadReport) -> gpd.GeoDataFrame:
    guess = text_file_encoding(path, source.encoding)
    report.encoding, report.encoding_source = guess.codec, guess.source
    text = path.read_bytes().decode(guess.codec, errors="strict")
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] + "\n", delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    decimal = "," if sep == ";" else "."
    frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, dtype_backend="numpy_nullable")
    columns = [str(c) for c in frame.columns]
    wkt_col = _pick(columns, source.wkt, _WKT_NAMES) if not source.x else None
    if wkt_col:
        geometry = _from_wkt(frame[wkt_col])
        frame = frame.drop(columns=[wkt_col])
    else:
        x_col, y_col = _pick(columns, source.x, _X_NAMES), _pick(columns, source.y, _Y_NAMES)
        if not x_col or not y_col:
            raise LoadError(
                "CSV ohne Koordinatenspalten: bitte x/y- oder WKT-Spalte angeben (source.x, source.y, source.wkt)."
            )
        geometry = _from_xy(frame[x_col], frame[y_col])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=None)


def _from_wkt(values: pd.Series) -> gpd.GeoSeries:
    text = values.astype("string")
    if text.str.contains(
        r"CIRCULARSTRING|COMPOUNDCURVE|CURVEPOLYGON|MULTICURVE|MULTISURFACE", case=False, regex=True
    ).any():
        raise LoadError("Kurvengeometrien (z. B. CircularString) werden nicht unterstützt.")
    if text.str.contains(r"^\s*(?:TIN|POLYHEDRALSURFACE|TRIANGLE)", case=False, regex=True).any():
        raise LoadError("Geometrietyp TIN/PolyhedralSurface wird nicht unterstützt.")
    try:
        return gpd.GeoSeries(
            shapely.from_wkt(text.to_numpy(dtype=object, na_value=None), on_invalid="raise")
        )
    except GEOSException as exc:
        raise LoadError(f"WKT nicht lesbar: {exc}") from None


def _from_xy(x: pd.Series, y: pd.Series) -> gpd.GeoSeries:
    xs = pd.to_numeric(x.astype("string").str.replace(",", ".", regex=False), errors="coerce")
    ys = pd.to_numeric(y.astype("string").str.replace(",", ".", regex=False), errors="coerce")
    points = shapely.points(
        xs.to_numpy(dtype=float, na_value=float("nan")),
        ys.to_numpy(dtype=float, na_value=float("nan")),
    )
    points[xs.isna().to_numpy() | ys.isna().to_numpy()] = None
    return gpd.GeoSeries(points)
