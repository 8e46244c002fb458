"""Write a layer version batch by batch: COPY into a new table while reading, then index.

:class:`TableWriter` creates the version table inside the caller's transaction and keeps one
``COPY … FROM STDIN`` open across the batches. Whatever needs the whole dataset is settled in
the database afterwards: unique ids by the unique index (a German error naming a duplicate),
the extent by ``ST_Extent``. The geometry column starts as the layer's single type and turns
into its Multi type (``ST_Multi``) the moment a Multi geometry arrives. Polygon tables also get
each feature's minimum clearance (``store.sql.CLEARANCE_COLUMN``) for the vector tiles' fast
path (``tiles.vector``); the version report says so (``mvt_clearance``).
"""

from __future__ import annotations

import io
import queue
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from buergergis.catalog.models import Attribute, VectorLayer
from buergergis.errors import LoadError
from buergergis.ingest import normalise
from buergergis.ingest.attributes import SQL_TYPES, Columns
from buergergis.ingest.clearance import minimum_clearance
from buergergis.store import versions
from buergergis.store.sql import CLEARANCE_COLUMN, column, data_table, quote_ident


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
_MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}


class _Sender:
    """Send COPY data from a thread: the next batch is read while this one travels.

    At most :data:`AHEAD` batches wait, so memory stays bounded when PostgreSQL is slower.
    """

    AHEAD = 2

    def __init__(self, copy: Any) -> None:
        self._copy = copy
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.AHEAD)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-sender", daemon=True)

    def __enter__(self) -> _Sender:
        self._thread.start()
        return self

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._copy.write(data)
                except BaseException as exc:  # re-raised in the reading thread
                    self._error = exc

    def write(self, data: Any) -> None:
        """Queue one batch (waits while :data:`AHEAD` batches are queued)."""
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


class TableWriter:
    """COPY batches into a new version table (inside the caller's transaction)."""

    def __init__(
        self,
        conn: Connection,
        table: str,
        attributes: tuple[Attribute, ...],
        family: str,
        srid: int,
    ) -> None:
        self.conn, self.table, self.attributes = conn, table, attributes
        self.family, self.srid = family, int(srid)
        self.geometry_type = family
        self.written = 0
        self.ids_as_gid: bool | None = None  # non-negative integer ids serve as gid
        self._stack = ExitStack()
        self._copy: Any = None
        #: Polygon layers store each feature's minimum clearance (metres) for the tiles.
        self.clearance = family == "Polygon"

    def __enter__(self) -> TableWriter:
        cols = ["gid bigint NOT NULL", "fid text NOT NULL"]
        cols += [f"{column(a.name)} {SQL_TYPES[a.type]}" for a in self.attributes]
        cols.append(f"geom geometry({self.geometry_type}, {self.srid}) NOT NULL")
        if self.clearance:
            cols.append(f"{CLEARANCE_COLUMN} double precision")
        self.conn.execute(text(f"CREATE TABLE {data_table(self.table)} ({', '.join(cols)})"))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._copy = None

    def _open(self) -> Any:
        if self._copy is None:
            names = ["gid", "fid", *[column(a.name) for a in self.attributes], "geom"]
            names += [CLEARANCE_COLUMN] if self.clearance else []
            sql = f"COPY {data_table(self.table)} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
            raw = self.conn.connection.driver_connection
            assert raw is not None
            cur = self._stack.enter_context(raw.cursor())
            copy = self._stack.enter_context(cur.copy(sql))
            self._copy = self._stack.enter_context(_Sender(copy))
        return self._copy

    def _close(self) -> None:
        """End the running COPY (before other statements on the connection)."""
        self._stack.close()
        self._stack = ExitStack()
        self._copy = None

    def write(
        self, ids: pd.Series | None, columns: Columns, geoms: np.ndarray, multi: bool
    ) -> None:
        """COPY one batch: ``ids`` are the id column's values (None: row numbers)."""
        if multi and self.geometry_type == self.family:
            self._to_multi()
        if self.geometry_type != self.family:
            geoms = normalise.promote(geoms, np.ones(len(geoms), dtype=bool), self.family)
        gids, fids = self._ids(ids, len(geoms))
        arrays = {"gid": pa.array(gids, pa.int64()), "fid": pa.array(fids, pa.string())}
        for attr in self.attributes:
            values = columns.series[attr.name]
            if attr.type == "datetime":
                values = values.map(lambda v: v.isoformat(), na_action="ignore").astype(object)
            arrays[attr.name] = pa.array(values, _ARROW_TYPES[attr.type], from_pandas=True)
        wkb = shapely.to_wkb(geoms, hex=False, include_srid=False)  # hex=True is far slower
        arrays["geom"] = pa.array([b.hex() for b in wkb], pa.string())
        if self.clearance:  # inf (no clearance defined) and NaN are stored as NULL
            clearance = minimum_clearance(geoms)
            clearance[~np.isfinite(clearance)] = np.nan
            arrays["mvt-clearance"] = pa.array(clearance, pa.float64(), from_pandas=True)
        buffer = io.BytesIO()
        pacsv.write_csv(pa.table(arrays), buffer, _CSV_OPTIONS)
        self._open().write(buffer.getbuffer())
        self.written += len(geoms)

    def _ids(self, ids: pd.Series | None, n: int) -> tuple[np.ndarray, Any]:
        rows = np.arange(self.written + 1, self.written + n + 1, dtype=np.int64)
        if ids is None:
            return rows, rows.astype(str)
        as_gid = pd.api.types.is_integer_dtype(ids.dtype) and bool((ids >= 0).all())
        if self.ids_as_gid is None:
            self.ids_as_gid = as_gid
        elif self.ids_as_gid and not as_gid:
            self._renumber()
        if self.ids_as_gid:
            gids = ids.to_numpy(dtype=np.int64)
            return gids, gids.astype(str)
        return rows, [str(v) for v in ids.tolist()]

    def _to_multi(self) -> None:
        self._close()
        self.geometry_type = _MULTI[self.family]
        self.conn.execute(
            text(
                f"ALTER TABLE {data_table(self.table)} ALTER COLUMN geom TYPE "
                f"geometry({self.geometry_type}, {self.srid}) USING ST_Multi(geom)"
            )
        )

    def _renumber(self) -> None:
        """Ids turned out not to be non-negative integers: rows written so far get row numbers."""
        self._close()
        self.ids_as_gid = False
        qualified = data_table(self.table)
        self.conn.execute(
            text(
                f"UPDATE {qualified} t SET gid = s.n FROM (SELECT ctid AS c, "  # noqa: S608
                f"row_number() OVER (ORDER BY ctid) AS n FROM {qualified}) s WHERE t.ctid = s.c"
            )
        )

    def finish(self, layer_id: str, version: int, id_column: str | None) -> None:
        """End the COPY; unique ids, primary key, spatial index and ANALYZE."""
        self._close()
        qualified = data_table(self.table)
        if not self.written:
            self.geometry_type = "Geometry"
            self.conn.execute(
                text(
                    f"ALTER TABLE {qualified} ALTER COLUMN geom TYPE geometry(Geometry, {self.srid})"
                )
            )
        prefix = f"{layer_id[:40]}_v{version}"
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    text(
                        f"ALTER TABLE {qualified} ADD CONSTRAINT {quote_ident(prefix + '_fid')} UNIQUE (fid)"
                    )
                )
        except IntegrityError:
            dup = self.conn.execute(
                text(f"SELECT fid FROM {qualified} GROUP BY fid HAVING count(*) > 1 LIMIT 1")  # noqa: S608
            ).scalar()
            raise LoadError(
                f"id_column '{id_column}' ist nicht eindeutig (z. B. '{dup}' mehrfach)"
            ) from None
        self.conn.execute(
            text(
                f"ALTER TABLE {qualified} ADD CONSTRAINT {quote_ident(prefix + '_pk')} PRIMARY KEY (gid)"
            )
        )
        self.conn.execute(
            text(f"CREATE INDEX {quote_ident(prefix + '_geom')} ON {qualified} USING gist (geom)")
        )
        self.conn.execute(text(f"ANALYZE {qualified}"))


def stats(
    conn: Connection, writer: TableWriter, checksum: str, report: dict[str, Any]
) -> versions.VersionStats:
    """Count and extent (``ST_Extent``, WGS84) of the written table for the catalog."""
    table = writer.table
    extent = f"ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, {writer.srid}), 4326)"
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
        geometry_type=writer.geometry_type,
        bbox=bbox,
        storage_srid=writer.srid,
        checksum=checksum,
        report={**report, "mvt_clearance": writer.clearance},
    )
