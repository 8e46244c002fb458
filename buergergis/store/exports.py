"""Whole-layer downloads (Open Data) without building the layer in memory.

GeoJSON and CSV are streamed from PostGIS (server-side cursor, ``COPY … TO STDOUT``).
GeoPackage and zipped Shapefile are written by GDAL from an Arrow stream of batches into a
file cache keyed by ``(layer, version)``; a new version never reuses an old file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyogrio
from pyproj import CRS
from sqlalchemy import Engine

from buergergis.store.catalog import LayerRecord
from buergergis.store.crs import CRS84, STORAGE_SRID
from buergergis.store.features import feature_sql
from buergergis.store.sql import column

BATCH = 5000
#: GeoPackage version written (GDAL 3.6 warns that 1.4 "may only be partially supported").
GPKG_VERSION = "1.2"
#: Part of the cache file names: files written by an older release are rebuilt.
FILE_REVISION = "r2"
DOWNLOAD_TIMEOUT = "15min"
_ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),
}


@dataclass(frozen=True)
class Format:
    """One download format."""

    key: str
    media_type: str
    extension: str
    title: str
    #: Last URL segment of the download (``shp.zip``: GDAL's ``/vsizip/`` needs the suffix).
    path: str = ""

    @property
    def segment(self) -> str:
        """The last URL segment of this format's download."""
        return self.path or self.key


FORMATS = {
    f.key: f
    for f in (
        Format("geojson", "application/geo+json", "geojson", "GeoJSON"),
        Format("gpkg", "application/geopackage+sqlite3", "gpkg", "GeoPackage"),
        Format("csv", "text/csv; charset=utf-8", "csv", "CSV"),
        Format("shp", "application/zip", "shp.zip", "Shapefile (ZIP)", "shp.zip"),
    )
}


def licence_text(layer: LayerRecord) -> str:
    """The licence note shipped with every download."""
    d = layer.definition
    return (
        f"{d.title}\nLizenz: {d.license}\nNamensnennung: {d.attribution}\n"
        f"Stand: Version {layer.version}"
        + (f", geladen {layer.loaded_at:%Y-%m-%d}" if layer.loaded_at else "")
        + "\nQuelle: BürgerGIS der Stadt Hameln\n"
    )


def geojson_chunks(engine: Engine, layer: LayerRecord, batch: int = BATCH) -> Iterator[bytes]:
    """The whole layer as a GeoJSON FeatureCollection (CRS84), feature by feature."""
    d = layer.definition
    head = {
        "type": "FeatureCollection",
        "name": layer.id,
        "title": d.title,
        "license": d.license,
        "attribution": d.attribution,
        "features": [],
    }
    yield json.dumps(head, ensure_ascii=False)[:-2].encode()
    sql = f"SELECT {feature_sql(layer, CRS84)} FROM {layer.relation} t ORDER BY t.gid"  # noqa: S608
    first = True
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).exec_driver_sql(sql)
        for partition in result.partitions(batch):
            text = ",".join(row[0] for row in partition)
            yield (text if first else "," + text).encode()
            first = False
    yield b"]}"


def id_field(layer: LayerRecord) -> str:
    """Name of the feature id column in files (``id``, unless an attribute is called so)."""
    return "feature_id" if any(a.name == "id" for a in layer.attributes) else "id"


#: First characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection):
#: ``=``, ``+``, ``-``, ``@``, tab and carriage return.
_FORMULA_STARTS = "'=', '+', '-', '@', chr(9), chr(13)"


def neutralised(col: str) -> str:
    """A text column whose cells cannot start a formula: values starting with one of the
    characters above get a leading apostrophe (which spreadsheets do not display)."""
    return f"CASE WHEN left({col}, 1) IN ({_FORMULA_STARTS}) THEN '''' || {col} ELSE {col} END"


def _csv_columns(layer: LayerRecord) -> list[str]:
    cols = [f"{neutralised('t.fid')} AS {column(id_field(layer))}"]
    for attr in layer.attributes:
        col = f"t.{column(attr.name)}"
        if attr.type == "text":
            col = neutralised(col)
        elif attr.type == "datetime":
            col = f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        elif attr.type == "boolean":
            col = f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END"
        cols.append(f"{col} AS {column(attr.name)}")
    cols.append("ST_AsText(ST_Transform(t.geom, 4326), 7) AS geometry_wkt")
    return cols


def csv_chunks(engine: Engine, layer: LayerRecord) -> Iterator[bytes]:
    """The whole layer as CSV (UTF-8, comma, header; geometry as WKT in CRS84)."""
    select = f"SELECT {', '.join(_csv_columns(layer))} FROM {layer.relation} t ORDER BY t.gid"  # noqa: S608
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{DOWNLOAD_TIMEOUT}'")
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
        ):
            for data in copy:
                yield bytes(data)


def _batches(
    engine: Engine, layer: LayerRecord, schema: pa.Schema, batch: int = BATCH
) -> Iterator[pa.RecordBatch]:
    names = [a.name for a in layer.attributes]
    cols = ", ".join(["t.fid", *(f"t.{column(n)}" for n in names), "ST_AsBinary(t.geom)"])
    sql = f"SELECT {cols} FROM {layer.relation} t ORDER BY t.gid"  # noqa: S608
    json_cols = {i + 1 for i, a in enumerate(layer.attributes) if a.type == "json"}
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).exec_driver_sql(sql)
        for partition in result.partitions(batch):
            columns = [list(c) for c in zip(*partition, strict=True)]
            for i in json_cols:
                columns[i] = [None if v is None else json.dumps(v) for v in columns[i]]
            columns[-1] = [bytes(g) for g in columns[-1]]
            yield pa.RecordBatch.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                schema=schema,
            )


def _schema(layer: LayerRecord) -> pa.Schema:
    fields = [pa.field(id_field(layer), pa.string())]
    fields += [pa.field(a.name, _ARROW_TYPES[a.type]) for a in layer.attributes]
    fields.append(pa.field("geometry", pa.binary()))
    return pa.schema(fields)


def _write_ogr(engine: Engine, layer: LayerRecord, path: Path, driver: str) -> None:
    schema = _schema(layer)
    reader = pa.RecordBatchReader.from_batches(schema, _batches(engine, layer, schema))
    d = layer.definition
    options: dict[str, str] = {}
    if driver == "GPKG":
        options = {"IDENTIFIER": d.title, "DESCRIPTION": licence_text(layer)}
    pyogrio.write_arrow(
        reader,
        str(path),
        layer=layer.id,
        driver=driver,
        geometry_name="geometry",
        geometry_type=layer.geometry_type or "Unknown",
        crs=CRS.from_epsg(STORAGE_SRID).to_wkt(),
        encoding="UTF-8" if driver == "ESRI Shapefile" else None,
        layer_options=options or None,
        # GeoPackage 1.2: read without warnings by GDAL before 3.8 (which flags 1.4 files)
        dataset_options={"VERSION": GPKG_VERSION} if driver == "GPKG" else None,
        dataset_metadata={"license": d.license, "attribution": d.attribution}
        if driver == "GPKG"
        else None,
    )


def _zip_shapefile(engine: Engine, layer: LayerRecord, target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        shp = Path(tmp) / f"{layer.id}.shp"
        _write_ogr(engine, layer, shp, "ESRI Shapefile")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)
            archive.writestr("LIZENZ.txt", licence_text(layer))


def export_file(engine: Engine, layer: LayerRecord, key: str, cache_dir: Path) -> Path:
    """The GeoPackage or zipped Shapefile of the live version (built once per version)."""
    fmt = FORMATS[key]
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{layer.id}__v{layer.version}.{FILE_REVISION}.{fmt.extension}"
    if path.exists():
        return path
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".build-", suffix="." + fmt.extension)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        if key == "shp":
            _zip_shapefile(engine, layer, tmp)
        else:
            _write_ogr(engine, layer, tmp, "GPKG")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _prune(cache_dir, layer)
    return path


def _prune(cache_dir: Path, layer: LayerRecord) -> None:
    """Remove files of other versions (or of an older file revision) of this layer."""
    for old in cache_dir.glob(f"{layer.id}__v*"):
        version, _, rest = old.name.removeprefix(f"{layer.id}__v").partition(".")
        if not version.isdigit():
            continue
        if int(version) != layer.version or not rest.startswith(f"{FILE_REVISION}."):
            old.unlink(missing_ok=True)
