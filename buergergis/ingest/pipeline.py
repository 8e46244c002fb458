"""One pipeline for every way data comes in: ``load`` (YAML), ``import`` (a file) and uploads."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Engine
from tqdm import tqdm

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.catalog.parse import resolve_source_path
from buergergis.ingest import normalise
from buergergis.ingest.attributes import feature_ids, select_columns
from buergergis.ingest.extent import city_share
from buergergis.ingest.read import read_vector
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import checksum, resolve, workdir
from buergergis.ingest.write import PreparedLayer, publish
from buergergis.settings import Settings


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


def prepare_vector(
    definition: VectorLayer, settings: Settings, work: Path, report: LoadReport
) -> PreparedLayer:
    """Read and normalise a vector source without touching the database."""
    src = resolve(
        resolve_source_path(definition.source.path, settings.root), definition.source.layer, work
    )
    report.source = src.path.name
    frame = read_vector(src, definition.source, work, report)
    crs = normalise.source_crs(frame, definition.source.crs, report)
    report.read = len(frame)
    geoms, keep, family = normalise.clean_geometries(frame.geometry.to_numpy(), report)
    frame = frame.loc[keep].reset_index(drop=True)
    geoms = normalise.to_storage(geoms[keep], crs, settings.storage_srid)
    attributes = definition.attributes or normalise.infer_attributes(frame, report)
    effective = definition.model_copy(update={"attributes": attributes})
    gids, fids = feature_ids(frame, definition.id_column)
    return PreparedLayer(
        definition=effective,
        gids=gids,
        fids=fids,
        columns=select_columns(frame, attributes),
        geoms=geoms,
        geometry_type=_geometry_type(geoms, family),
        srid=settings.storage_srid,
        checksum=checksum(src.members),
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
        with workdir(settings.var / "tmp") as work:
            prepared = prepare_vector(definition, settings, work, report)
            report.written = len(prepared.gids)
            report.geometry_type = prepared.geometry_type
            placed = city_share(prepared.geoms, prepared.srid, settings.home.extent)
            if placed.mostly_outside:
                report.note(placed.message)
                warnings = (placed.message,)
            if not report.written:
                report.note("Die Quelle enthält keine Objekte.")
            with tqdm(
                total=report.written, disable=not show_progress, unit=" Obj.", desc=definition.id
            ) as bar:
                report.seconds = time.monotonic() - started
                version = publish(
                    engine,
                    prepared,
                    report.to_dict(),
                    origin=origin,
                    actor=actor,
                    action=action,
                    keep=settings.keep_versions,
                    progress=bar.update,
                )
    report.seconds = time.monotonic() - started
    return LoadResult(definition.id, version, report, warnings)
