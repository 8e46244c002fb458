"""Read a vector source in batches (pyogrio ``open_arrow``): memory stays flat with the size.

Every way data comes in (``load``, ``import``, uploads, the Upload-Doktor) reads through
:func:`open_batches`. Each batch is a GeoDataFrame converted exactly like
``pyogrio.read_dataframe(use_arrow=True)`` does it. Things that need the whole dataset are
decided before the first batch: the geometry family comes from the layer's declared type, or,
when the layer declares none (GeoPackage "Geometry", mixed GeoJSON), from a cheap first pass
that reads only the type codes of the geometries. CSV files and layers with curved
geometries are read whole (as before) and handed out in slices.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import CRS

from buergergis.catalog.models import Source
from buergergis.errors import LoadError
from buergergis.ingest import read
from buergergis.ingest.normalise import FAMILIES, dominant_family
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import ResolvedSource

#: Features per batch; ``BUERGERGIS_LOAD_BATCH`` overrides it (tests use small batches).
BATCH_SIZE = 10_000
#: Drivers whose files cannot hold curved geometries (their declared type can be trusted).
_NO_CURVES = {"ESRI Shapefile", "GeoJSON", "GeoJSONSeq", "CSV"}
_CURVED = {"CircularString", "CompoundCurve", "CurvePolygon", "MultiCurve", "MultiSurface"}
_FAMILY_OF_CODE = {1: "Point", 4: "Point", 2: "LineString", 5: "LineString", 3: "Polygon"}
_FAMILY_OF_CODE[6] = "Polygon"
#: PolyhedralSurface, TIN, Triangle: surfaces of another kind, refused with their own message.
_FAMILY_OF_CODE.update({15: "tin", 16: "tin", 17: "tin"})


def batch_size() -> int:
    """The configured batch size (at least 1)."""
    return max(1, int(os.environ.get("BUERGERGIS_LOAD_BATCH") or BATCH_SIZE))


def _system_memory_pool() -> None:
    """Arrow allocates with malloc: its default pool (mimalloc) keeps freed batches mapped.

    Measured on a 200,000-polygon import: about 35 MiB less peak memory, same speed. Set
    for the whole process (also web workers that publish uploads), once.
    """
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


@dataclass
class Batches:
    """An open source: its CRS, the geometry family of the whole layer and the batches."""

    crs: Any
    family: str
    frames: Iterator[gpd.GeoDataFrame]
    empty: gpd.GeoDataFrame  # no rows, the columns and dtypes of every batch
    total: int | None = None  # feature count if the driver knows it cheaply


@contextmanager
def open_batches(
    src: ResolvedSource,
    source: Source,
    workdir: Path,
    report: LoadReport,
    *,
    size: int | None = None,
    limit: int | None = None,
) -> Iterator[Batches]:
    """Open ``src`` for reading in batches of ``size`` (at most ``limit`` features in all)."""
    size = size or batch_size()
    report.format = src.format
    _system_memory_pool()
    with ExitStack() as stack:
        with read.reading_errors():
            if src.format == "csv":
                batches = _sliced(read._read_csv(src.path, source, report), size, limit)
            else:
                if src.format == "shapefile":
                    path, codec = read.prepare_shapefile(src, source, workdir, report)
                    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
                    stack.callback(pyogrio.set_gdal_config_options, {"SHAPE_RESTORE_SHX": None})
                    layer = None
                else:
                    path, codec = read._safe_path(src.path, (src.path,), workdir), None
                    layer = source.layer
                batches = stack.enter_context(_ogr_batches(path, layer, codec, report, size, limit))
        batches.frames = _guarded(batches.frames)
        yield batches


def _guarded(frames: Iterator[gpd.GeoDataFrame]) -> Iterator[gpd.GeoDataFrame]:
    """The batches, with reading errors translated (only errors of reading, not of writing)."""
    while True:
        with read.reading_errors():
            frame = next(frames, None)
        if frame is None:
            return
        yield frame


def _sliced(frame: gpd.GeoDataFrame, size: int, limit: int | None) -> Batches:
    """A frame read whole (CSV, curves), handed out in slices."""
    if limit is not None:
        frame = frame.iloc[:limit]
    family = dominant_family(frame.geometry.to_numpy()) if len(frame) else "Point"

    def frames() -> Iterator[gpd.GeoDataFrame]:
        for start in range(0, len(frame), size):
            yield frame.iloc[start : start + size].reset_index(drop=True)

    return Batches(frame.crs, family, frames(), frame.iloc[:0], len(frame))


@contextmanager
def _ogr_batches(
    path: Path,
    layer: str | None,
    encoding: str | None,
    report: LoadReport,
    size: int,
    limit: int | None,
) -> Iterator[Batches]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            names = ", ".join(str(n) for n, _ in layers)
            raise LoadError(
                f"Die Datei enthält mehrere Layer, bitte einen wählen (source.layer): {names}"
            )
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    if info.get("geometry_type") is None:
        raise LoadError("Die Datei enthält keine Geometrien.")
    declared = str(info["geometry_type"]).split(" ")[0]
    counts, curved = (Counter({FAMILIES[declared]: 1}), 0) if declared in FAMILIES else (None, 0)
    # pyogrio reports a CurvePolygon layer as "Polygon": where the format can hold curves, the
    # declared type is not enough and the type codes are read first.
    if info.get("driver") not in _NO_CURVES:
        counts = None
    if counts is None and declared not in _CURVED:
        counts, curved = _scan_types(path, layer, encoding)
    if declared in _CURVED or curved:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = read._read_linearised(path, layer, encoding, report)
        yield _sliced(frame, size, limit)
        return
    family = _majority(counts)
    total = int(info.get("features") or -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pyogrio.open_arrow(
            path,
            layer=layer,
            encoding=encoding,
            batch_size=size,
            use_pyarrow=True,
            datetime_as_string=True,
        ) as (meta, reader):
            if meta["crs"]:
                meta = {**meta, "crs": CRS.from_user_input(meta["crs"])}  # parsed once
            empty = _to_frame(reader.schema.empty_table(), meta)
            frames = (_to_frame(pa.Table.from_batches([b]), meta) for b in _limited(reader, limit))
            yield Batches(meta["crs"], family, frames, empty, total if total >= 0 else None)


def _limited(reader: pa.RecordBatchReader, limit: int | None) -> Iterator[pa.RecordBatch]:
    """The record batches up to ``limit`` rows in all (Arrow streams take no ``max_features``)."""
    left = limit
    for batch in reader:
        if left is not None:
            if left <= 0:
                return
            batch = batch.slice(0, left)
            left -= batch.num_rows
        yield batch


def _to_frame(table: pa.Table, meta: dict[str, Any]) -> gpd.GeoDataFrame:
    """One Arrow batch as a GeoDataFrame, converted as ``read_dataframe(use_arrow=True)`` does."""
    from pyogrio.geopandas import _try_parse_datetime

    geometry_name = meta["geometry_name"] or "wkb_geometry"
    frame = table.to_pandas(self_destruct=True)
    for dtype, name in zip(meta["dtypes"], meta["fields"], strict=True):
        if dtype is not None and dtype.startswith("datetime") and dtype != "datetime64[D]":
            frame[name] = _try_parse_datetime(frame[name], False, False)
    for subtype, name in zip(meta["ogr_subtypes"], meta["fields"], strict=True):
        if subtype == "OFSTJSON" and pd.api.types.infer_dtype(frame[name]) == "string":
            import json

            frame[name] = frame[name].map(json.loads, na_action="ignore")
    wkb = frame.pop(geometry_name).to_numpy() if geometry_name in frame else None
    geometry = shapely.from_wkb(wkb) if wkb is not None else None
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"])


def _scan_types(path: Path, layer: str | None, encoding: str | None) -> tuple[Counter[str], int]:
    """First pass over the geometries only: how many of each family, how many curved."""
    families: Counter[str] = Counter()
    curved = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pyogrio.open_arrow(
            path,
            layer=layer,
            encoding=encoding,
            columns=[],
            batch_size=SCAN_BATCH,
            use_pyarrow=True,
        ) as (meta, reader):
            name = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                codes = wkb_type_codes(batch.column(name))
                curved += int(np.isin(codes, (8, 9, 10, 11, 12)).sum())
                for code, count in zip(*np.unique(codes, return_counts=True), strict=True):
                    families[_FAMILY_OF_CODE.get(int(code), "other")] += int(count)
    return families, curved


#: Geometries per batch of the type scan (it reads no attributes, so batches can be larger).
SCAN_BATCH = 65_536


def wkb_type_codes(column: pa.Array) -> np.ndarray:
    """The base WKB type code (1–17, Z/M/SRID flags removed) of each non-empty WKB value.

    Read from the bytes in place (vectorised); null and empty values are left out.
    """
    if isinstance(column, pa.ExtensionArray):
        column = column.storage
    wide = pa.types.is_large_binary(column.type)
    found = np.frombuffer(column.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets: np.ndarray[tuple[int], np.dtype[np.int64]] = found[
        column.offset : column.offset + len(column) + 1
    ].astype(np.int64)
    data = column.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    starts = offsets[:-1]
    valid = offsets[1:] - starts >= 5
    if column.null_count:
        valid &= column.is_valid().to_numpy(zero_copy_only=False)
    starts = starts[valid]
    parts = [raw[starts + i].astype(np.uint32) for i in range(1, 5)]
    little = raw[starts] == 1
    code = np.where(
        little,
        parts[0] | parts[1] << 8 | parts[2] << 16 | parts[3] << 24,
        parts[3] | parts[2] << 8 | parts[1] << 16 | parts[0] << 24,
    )
    return (code & 0x0FFFFFFF) % 1000


def _majority(counts: Counter[str] | None) -> str:
    """Point, LineString or Polygon — whichever most features are (collections are refused)."""
    if not counts:
        return "Point"
    if counts.get("tin"):
        raise LoadError("Geometrietyp TIN/PolyhedralSurface wird nicht unterstützt.")
    known = Counter({k: v for k, v in counts.items() if k != "other"})
    if not known:
        raise LoadError("Nur GeometryCollections – nicht unterstützt.")
    return known.most_common(1)[0][0]
