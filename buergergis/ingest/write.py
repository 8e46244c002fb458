"""Write a prepared layer: COPY into a new version table, index, ANALYZE, swap — one transaction."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from sqlalchemy import Connection, Engine, text

from buergergis.catalog.models import VectorLayer
from buergergis.ingest.attributes import SQL_TYPES, Columns
from buergergis.store import versions
from buergergis.store.sql import column, data_table, quote_ident, version_table_name

COPY_BATCH = 25_000


@dataclass
class PreparedLayer:
    """Normalised data of one load: ids, attribute values and storage geometries."""

    definition: VectorLayer
    gids: np.ndarray
    fids: list[str]
    columns: Columns
    geoms: np.ndarray
    geometry_type: str
    srid: int
    checksum: str


def publish(
    engine: Engine,
    layer: PreparedLayer,
    report: dict[str, Any],
    *,
    origin: str,
    actor: str,
    action: str,
    keep: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Make ``layer`` the live version atomically; returns the new version number."""
    layer_id = layer.definition.id
    with engine.connect() as conn, conn.begin():
        versions.lock_layer(conn, layer_id)
        version = versions.next_version(conn)
        table = version_table_name(layer_id, version)
        _create_table(conn, table, layer)
        _copy(conn, table, layer, progress)
        _finish_table(conn, table, layer_id, version)
        stats = _stats(conn, table, layer, report)
        versions.point_view(conn, layer_id, table)
        versions.record_version(
            conn,
            layer.definition,
            version,
            stats,
            origin=origin,
            actor=actor,
            action=action,
            table_name=table,
        )
        versions.prune_versions(conn, layer_id, keep)
    return version


def _create_table(conn: Connection, table: str, layer: PreparedLayer) -> None:
    cols = ["gid bigint NOT NULL", "fid text NOT NULL"]
    cols += [f"{column(a.name)} {SQL_TYPES[a.type]}" for a in layer.columns.attributes]
    cols.append(f"geom geometry({layer.geometry_type}, {int(layer.srid)}) NOT NULL")
    conn.execute(text(f"CREATE TABLE {data_table(table)} ({', '.join(cols)})"))


def _copy(
    conn: Connection, table: str, layer: PreparedLayer, progress: Callable[[int], None] | None
) -> None:
    """Stream the rows as CSV built by Arrow (C++) in batches, so Python and PostgreSQL overlap."""
    names = ["gid", "fid", *[column(a.name) for a in layer.columns.attributes], "geom"]
    sql = f"COPY {data_table(table)} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
    wkb = shapely.to_wkb(layer.geoms, hex=False, include_srid=False)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for start in range(0, len(layer.gids), COPY_BATCH):
            stop = min(start + COPY_BATCH, len(layer.gids))
            buffer = io.BytesIO()
            pacsv.write_csv(_batch(layer, wkb, start, stop), buffer, _CSV_OPTIONS)
            copy.write(buffer.getbuffer())
            if progress:
                progress(stop - start)


#: Quote every non-null value so that NULL (unquoted empty) and '' (quoted) stay distinct.
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
_ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.string(),
    "json": pa.string(),
}


def _batch(layer: PreparedLayer, wkb: np.ndarray, start: int, stop: int) -> pa.Table:
    arrays = {
        "gid": pa.array(layer.gids[start:stop], pa.int64()),
        "fid": pa.array(layer.fids[start:stop], pa.string()),
    }
    for attr in layer.columns.attributes:
        values = layer.columns.series[attr.name].iloc[start:stop]
        if attr.type == "datetime":
            values = values.map(lambda v: v.isoformat(), na_action="ignore").astype(object)
        arrays[attr.name] = pa.array(values, _ARROW_TYPES[attr.type], from_pandas=True)
    arrays["geom"] = pa.array([b.hex() for b in wkb[start:stop]], pa.string())
    return pa.table(arrays)


def _finish_table(conn: Connection, table: str, layer_id: str, version: int) -> None:
    qualified = data_table(table)
    prefix = f"{layer_id[:40]}_v{version}"
    conn.execute(
        text(
            f"ALTER TABLE {qualified} ADD CONSTRAINT {quote_ident(prefix + '_pk')} PRIMARY KEY (gid)"
        )
    )
    conn.execute(
        text(f"ALTER TABLE {qualified} ADD CONSTRAINT {quote_ident(prefix + '_fid')} UNIQUE (fid)")
    )
    conn.execute(
        text(f"CREATE INDEX {quote_ident(prefix + '_geom')} ON {qualified} USING gist (geom)")
    )
    conn.execute(text(f"ANALYZE {qualified}"))


def _stats(
    conn: Connection, table: str, layer: PreparedLayer, report: dict[str, Any]
) -> versions.VersionStats:
    extent = f"ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, {int(layer.srid)}), 4326)"
    inner = f"SELECT count(*) AS n, {extent} AS b FROM {data_table(table)}"  # noqa: S608
    row = conn.execute(
        text(
            f"SELECT n, ST_XMin(b) x0, ST_YMin(b) y0, ST_XMax(b) x1, ST_YMax(b) y1 FROM ({inner}) s"  # noqa: S608
        )
    ).one_or_none()
    count = int(row.n) if row else 0
    bbox = (row.x0, row.y0, row.x1, row.y1) if row and row.x0 is not None else None
    return versions.VersionStats(
        feature_count=count,
        geometry_type=layer.geometry_type,
        bbox=bbox,
        storage_srid=layer.srid,
        checksum=layer.checksum,
        report=report,
    )
