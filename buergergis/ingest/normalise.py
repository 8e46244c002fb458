"""Normalise a GeoDataFrame: CRS, geometry validity and type, published attributes."""

from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from buergergis.catalog.models import RESERVED_COLUMNS, Attribute, AttributeType
from buergergis.errors import LoadError
from buergergis.ingest.report import LoadReport

FAMILIES = {
    "Point": "Point",
    "MultiPoint": "Point",
    "LineString": "LineString",
    "MultiLineString": "LineString",
    "LinearRing": "LineString",
    "Polygon": "Polygon",
    "MultiPolygon": "Polygon",
}


def parse_crs(value: str) -> CRS:
    """A CRS from 'EPSG:25832', '25832' or WKT; refused with a clear message otherwise."""
    text = value.strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise LoadError(f"Unbekanntes Koordinatenreferenzsystem: {value}") from None


def source_crs(frame: gpd.GeoDataFrame, override: str | None, report: LoadReport) -> CRS:
    """The CRS to read coordinates in: the override wins, else the source's own."""
    if override:
        crs = parse_crs(override)
        if frame.crs is not None and not CRS(frame.crs).equals(crs):
            report.note(f"KBS der Quelle ({CRS(frame.crs).to_string()}) durch Vorgabe ersetzt")
    elif frame.crs is not None:
        crs = CRS(frame.crs)
    else:
        raise LoadError(
            "Die Quelle hat kein Koordinatenreferenzsystem (.prj fehlt oder ist unbrauchbar). "
            "Bitte angeben, z. B. --crs EPSG:25832 (oder source.crs in der Layer-Definition)."
        )
    report.source_crs = crs.to_string()
    return crs


def to_storage(geoms: np.ndarray, crs: CRS, srid: int) -> np.ndarray:
    """Reproject to the storage CRS (pyproj picks grid-based transformations such as BeTA2007)."""
    target = CRS.from_epsg(srid)
    if crs.equals(target):
        return geoms
    series = gpd.GeoSeries(geoms, crs=crs).to_crs(target)
    out = series.to_numpy()
    bad = (
        ~shapely.is_empty(out)
        & ~np.isfinite(shapely.bounds(out)).all(axis=1)
        & ~shapely.is_missing(out)
    )
    if bad.any():
        raise LoadError(
            f"{int(bad.sum())} Geometrien liegen außerhalb des Gültigkeitsbereichs von {crs.to_string()}."
        )
    return out


def clean_geometries(
    geoms: np.ndarray, report: LoadReport, family: str | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Drop Z/M, repair, drop empties and foreign types, promote to Multi; returns (geoms, keep, type).

    ``family`` is the geometry family of the whole layer when reading in batches (else the
    majority of ``geoms``); a batch is promoted to Multi when it holds a Multi geometry.
    """
    keep = ~shapely.is_missing(geoms)
    report.drop("ohne Geometrie", int((~keep).sum()))
    geoms = geoms.copy()
    if shapely.has_z(geoms[keep]).any() or _has_m(geoms[keep]):
        report.note("Z-/M-Werte wurden entfernt (2D-Speicherung)")
        geoms[keep] = shapely.force_2d(geoms[keep])
    empty = keep & shapely.is_empty(geoms)
    report.drop("leere Geometrie", int(empty.sum()))
    keep &= ~empty
    family = family or dominant_family(geoms[keep])
    geoms, keep = _repair(geoms, keep, family, report)
    types = shapely.get_type_id(geoms)
    foreign = keep & ~np.isin(types, _family_type_ids(family))
    report.drop(f"anderer Geometrietyp als {family}", int(foreign.sum()))
    keep &= ~foreign
    return _promote(geoms, keep, family), keep, family


def _has_m(geoms: np.ndarray) -> bool:
    has_m = getattr(shapely, "has_m", None)
    return bool(has_m(geoms).any()) if has_m is not None and len(geoms) else False


def dominant_family(geoms: np.ndarray) -> str:
    """Point, LineString or Polygon — whichever most features are (collections are refused)."""
    names = pd.Series(shapely.get_type_id(geoms)).map(_TYPE_NAMES)
    families = names.map(FAMILIES)
    if families.empty:
        return "Point"
    if families.isna().all():
        raise LoadError("Nur GeometryCollections – nicht unterstützt.")
    return str(families.value_counts().idxmax())


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _family_type_ids(family: str) -> list[int]:
    return {"Point": [0, 4], "LineString": [1, 5], "Polygon": [3, 6]}[family]


def _repair(
    geoms: np.ndarray, keep: np.ndarray, family: str, report: LoadReport
) -> tuple[np.ndarray, np.ndarray]:
    invalid = keep & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms, keep
    fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    if family != "Polygon":
        fixed = shapely.make_valid(geoms[invalid])
    fixed = np.array([_extract(g, family) for g in fixed], dtype=object)
    collapsed = shapely.is_missing(fixed) | shapely.is_empty(fixed)
    idx = np.flatnonzero(invalid)
    geoms[idx] = fixed
    keep[idx[collapsed]] = False
    report.repaired += int((~collapsed).sum())
    report.drop("ungültig und nicht reparierbar (z. B. Linie der Länge 0)", int(collapsed.sum()))
    return geoms, keep


def _extract(geom: shapely.Geometry | None, family: str) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        return None
    if FAMILIES.get(geom.geom_type) == family:
        return geom
    parts = [p for p in getattr(geom, "geoms", []) if FAMILIES.get(p.geom_type) == family]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _promote(geoms: np.ndarray, keep: np.ndarray, family: str) -> np.ndarray:
    types = shapely.get_type_id(geoms)
    multi_id = {"Point": 4, "LineString": 5, "Polygon": 6}[family]
    if not (keep & (types == multi_id)).any():
        return geoms
    single = keep & (types != multi_id)
    out = geoms.copy()
    out[single] = [_to_multi(g) for g in geoms[single]]
    return out


def has_multi(geoms: np.ndarray, keep: np.ndarray, family: str) -> bool:
    """Whether a kept geometry is of the Multi type of ``family``."""
    multi_id = {"Point": 4, "LineString": 5, "Polygon": 6}[family]
    return bool((keep & (shapely.get_type_id(geoms) == multi_id)).any())


def promote(geoms: np.ndarray, keep: np.ndarray, family: str) -> np.ndarray:
    """Every kept single geometry as its Multi type (vectorised)."""
    single_id = {"Point": 0, "LineString": 1, "Polygon": 3}[family]
    single = keep & (shapely.get_type_id(geoms) == single_id)
    if not single.any():
        return geoms
    make = {
        "Point": shapely.multipoints,
        "LineString": shapely.multilinestrings,
        "Polygon": shapely.multipolygons,
    }[family]
    out = geoms.copy()
    parts = geoms[single]
    out[single] = make(parts, indices=np.arange(len(parts)))
    return out


def _to_multi(geom: shapely.Geometry) -> shapely.Geometry:
    return {
        "Point": shapely.MultiPoint,
        "LineString": shapely.MultiLineString,
        "Polygon": shapely.MultiPolygon,
    }[geom.geom_type]([geom])


_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
)


def safe_column_name(name: str, taken: set[str]) -> str:
    """ASCII, lowercase, SQL-safe and unique: 'Straße Nr.' → 'strasse_nr'."""
    text = str(name).translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "feld"
    if text[0].isdigit():
        text = "f_" + text
    text = text[:55]
    candidate, n = text, 1
    while candidate in taken or candidate in RESERVED_COLUMNS:
        n += 1
        candidate = f"{text}_{n}"
    taken.add(candidate)
    return candidate


def infer_type(series: pd.Series) -> AttributeType:
    """Map a pandas dtype to an attribute type."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime" if _has_time(series) else "date"
    if (
        pd.api.types.is_object_dtype(dtype)
        and series.dropna().map(lambda v: hasattr(v, "isoformat")).all()
        and series.notna().any()
    ):
        return "date"
    return "text"


def _has_time(series: pd.Series) -> bool:
    values = pd.to_datetime(series.dropna())
    return bool(len(values) and (values.dt.normalize() != values).any())


def infer_attributes(
    frame: pd.DataFrame, report: LoadReport | None = None
) -> tuple[Attribute, ...]:
    """Attributes for every non-geometry column, with safe names and inferred types.

    Binary columns (BLOBs) cannot be published as attributes and are left out with a note.
    """
    taken: set[str] = set()
    attrs = []
    geometry_name = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col == geometry_name:
            continue
        if _is_binary(frame[col]):
            if report is not None:
                report.note(f"Binärspalte '{col}' wird nicht veröffentlicht")
            continue
        name = safe_column_name(str(col), taken)
        title = str(col) if name != str(col) else None
        attrs.append(
            Attribute(name=name, source=str(col), type=infer_type(frame[col]), title=title)
        )
    return tuple(attrs)


def _is_binary(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and isinstance(values.iloc[0], bytes | bytearray | memoryview)
