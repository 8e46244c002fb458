"""One pipeline for every way data comes in: ``load`` (YAML), ``import`` (a file) and uploads."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from sqlalchemy import Engine
from tqdm import tqdm

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.catalog.parse import resolve_source_path
from buergergis.errors import LoadError
from buergergis.ingest import normalise
from buergergis.ingest.attributes import Columns, feature_ids, find_column, select_columns
from buergergis.ingest.batches import open_batches
from buergergis.ingest.extent import ExtentTally
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import checksum, resolve, workdir
from buergergis.ingest.write import PreparedLayer, TableWriter
from buergergis.ingest.write import stats as write_stats
from buergergis.settings import Settings
from buergergis.store import versions
from buergergis.store.sql import version_table_name


def definition_sha(definition: VectorLayer | RasterLayer) -> str:
    """Fingerprint of a definition as written (to skip unchanged layers)."""
    dumped = json.dumps(definition.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(dumped).hexdigest()


@dataclass(frozen=True)
class LoadResult:
    """The outcome of a successful load."""

    layer_id: str
    version: int
    report: LoadReport
    warnings: tuple[str, ...] = ()  # e.g. data mostly outside the city extent


@dataclass
class _Batch:
    """One normalised batch: the id column's values, attribute values, storage geometries."""

    ids: pd.Series | None
    columns: Columns
    geoms: np.ndarray
    multi: bool
    missing_ids: int


@dataclass
class _Reading:
    """What a load decides from the source before the first batch is written."""

    definition: VectorLayer
    family: str
    crs: CRS
    frames: Iterator[gpd.GeoDataFrame]
    total: int | None


@contextmanager
def _open(
    definition: VectorLayer,
    settings: Settings,
    work: Path,
    report: LoadReport,
    limit: int | None = None,
) -> Iterator[tuple[_Reading, str]]:
    """Open the source in batches; the definition gets the attributes (inferred if not given)."""
    src = resolve(
        resolve_source_path(definition.source.path, settings.root), definition.source.layer, work
    )
    report.source = src.path.name
    with open_batches(src, definition.source, work, report, limit=limit) as batches:
        first = next(batches.frames, None)
        sample = first if first is not None else batches.empty
        crs = normalise.source_crs(sample, definition.source.crs, report)
        attributes = definition.attributes or normalise.infer_attributes(sample, report)
        frames = itertools.chain([first] if first is not None else [], batches.frames)
        effective = definition.model_copy(update={"attributes": attributes})
        yield _Reading(effective, batches.family, crs, frames, batches.total), checksum(src.members)


def _normalise(frame: gpd.GeoDataFrame, reading: _Reading, srid: int, report: LoadReport) -> _Batch:
    """Clean, reproject and cast one batch (drops and repairs are counted in ``report``)."""
    report.read += len(frame)
    geoms, keep, family = normalise.clean_geometries(
        frame.geometry.to_numpy(), report, reading.family
    )
    frame = frame.loc[keep].reset_index(drop=True)
    geoms = normalise.to_storage(geoms[keep], reading.crs, srid)
    attributes = reading.definition.attributes or ()
    columns = select_columns(frame, attributes)
    id_column = reading.definition.id_column
    ids = frame[find_column(frame, id_column)] if id_column else None
    missing = int(ids.isna().sum()) if ids is not None else 0
    multi = normalise.has_multi(geoms, np.ones(len(geoms), dtype=bool), family)
    return _Batch(ids, columns, geoms, multi, missing)


def prepare_vector(
    definition: VectorLayer,
    settings: Settings,
    work: Path,
    report: LoadReport,
    limit: int | None = None,
) -> PreparedLayer:
    """Read and normalise a vector source (at most ``limit`` features) without the database.

    For previews and diffs; loads stream with :func:`load_layer` and never hold all features.
    """
    with _open(definition, settings, work, report, limit) as (reading, digest):
        parts = [_normalise(f, reading, settings.storage_srid, report) for f in reading.frames]
    attributes = reading.definition.attributes or ()
    frame = pd.DataFrame(
        {a.name: pd.concat([p.columns.series[a.name] for p in parts]) for a in attributes}
        if parts
        else {}
    ).reset_index(drop=True)
    columns = Columns(
        attributes,
        {a.name: frame[a.name] if parts else pd.Series([], dtype=object) for a in attributes},
    )
    geoms = np.concatenate([p.geoms for p in parts]) if parts else np.array([], dtype=object)
    if any(p.multi for p in parts):
        geoms = normalise.promote(geoms, np.ones(len(geoms), dtype=bool), reading.family)
    if reading.definition.id_column:
        ids = pd.concat([p.ids for p in parts if p.ids is not None], ignore_index=True)
        gids, fids = feature_ids(pd.DataFrame({"id": ids}), "id", reading.definition.id_column)
    else:
        gids, fids = feature_ids(pd.DataFrame(index=range(len(geoms))), None)
    report.written = len(gids)
    return PreparedLayer(
        definition=reading.definition,
        gids=gids,
        fids=fids,
        columns=columns,
        geoms=geoms,
        geometry_type=_geometry_type(geoms, reading.family),
        srid=settings.storage_srid,
        checksum=digest,
    )


def _geometry_type(geoms: np.ndarray, family: str) -> str:
    if len(geoms) == 0:
        return "Geometry"
    multi = (shapely.get_type_id(geoms) >= 4).any()
    return f"Multi{family}" if multi else family


def load_layer(
    engine: Engine,
    settings: Settings,
    definition: VectorLayer | RasterLayer,
    *,
    origin: str = "yaml",
    actor: str = "system",
    action: str = "load",
    show_progress: bool = False,
) -> LoadResult:
    """Load one layer; on any error the previous version stays live."""
    started = time.monotonic()
    report = LoadReport(layer_id=definition.id, definition_sha=definition_sha(definition))
    warnings: tuple[str, ...] = ()
    if isinstance(definition, RasterLayer):
        from buergergis.ingest.raster import load_raster

        version = load_raster(
            engine, settings, definition, report, origin=origin, actor=actor, action=action
        )
    else:
        version, warnings = _load_vector(
            engine,
            settings,
            definition,
            report,
            started,
            origin=origin,
            actor=actor,
            action=action,
            show_progress=show_progress,
        )
    report.seconds = time.monotonic() - started
    return LoadResult(definition.id, version, report, warnings)


def _load_vector(
    engine: Engine,
    settings: Settings,
    definition: VectorLayer,
    report: LoadReport,
    started: float,
    *,
    origin: str,
    actor: str,
    action: str,
    show_progress: bool,
) -> tuple[int, tuple[str, ...]]:
    """Read, normalise and COPY batch by batch; index and swap — all in one transaction."""
    srid = settings.storage_srid
    tally = ExtentTally(srid, settings.home.extent)
    missing = 0
    with (
        workdir(settings.var / "tmp") as work,
        engine.connect() as conn,
        conn.begin(),
    ):
        versions.lock_layer(conn, definition.id)
        version = versions.next_version(conn)
        table = version_table_name(definition.id, version)
        with _open(definition, settings, work, report) as (reading, digest):
            effective = reading.definition
            with (
                TableWriter(conn, table, effective.attributes or (), reading.family, srid) as out,
                tqdm(
                    total=reading.total,
                    disable=not show_progress,
                    unit=" Obj.",
                    desc=definition.id,
                ) as bar,
            ):
                for frame in reading.frames:
                    batch = _normalise(frame, reading, srid, report)
                    missing += batch.missing_ids
                    tally.add(batch.geoms)
                    if not missing:
                        out.write(batch.ids, batch.columns, batch.geoms, batch.multi)
                    bar.update(len(frame))
                if missing:
                    raise LoadError(f"id_column '{effective.id_column}': {missing} Objekte ohne ID")
                out.finish(definition.id, version, effective.id_column)
        report.written = out.written
        report.geometry_type = out.geometry_type
        placed = tally.result()
        warnings: tuple[str, ...] = ()
        if placed.mostly_outside:
            report.note(placed.message)
            warnings = (placed.message,)
        if not report.written:
            report.note("Die Quelle enthält keine Objekte.")
        report.seconds = time.monotonic() - started
        stats = write_stats(conn, out, digest, report.to_dict())
        versions.point_view(conn, definition.id, table)
        versions.record_version(
            conn,
            effective,
            version,
            stats,
            origin=origin,
            actor=actor,
            action=action,
            table_name=table,
        )
        versions.prune_versions(conn, definition.id, settings.keep_versions)
    return version, warnings
