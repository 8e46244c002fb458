"""Raster layers: check a GeoTIFF, convert it to a Cloud-Optimized GeoTIFF, register bounds."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles
from sqlalchemy import Engine

from buergergis.catalog.models import RasterLayer
from buergergis.catalog.parse import resolve_source_path
from buergergis.errors import LoadError
from buergergis.ingest.normalise import parse_crs
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import checksum, resolve, workdir
from buergergis.settings import Settings
from buergergis.store import versions


def check_raster(path: Path, crs_override: str | None, report: LoadReport) -> dict[str, Any]:
    """Open and sanity-check a raster; returns its metadata (bounds in WGS84, bands, nodata)."""
    try:
        with rasterio.open(path) as src:
            crs = parse_crs(crs_override) if crs_override else src.crs
            if crs is None:
                raise LoadError(
                    "Das Raster hat kein Koordinatenreferenzsystem. Bitte angeben (--crs/source.crs)."
                )
            if src.transform.is_identity or src.gcps[0]:
                raise LoadError(
                    "Das Raster ist nicht georeferenziert (nur Passpunkte/GCP oder keine Transformation)."
                )
            if src.transform.b or src.transform.d:
                raise LoadError("Gedrehte Raster werden nicht unterstützt; bitte vorher entzerren.")
            bounds = transform_bounds(crs, "EPSG:4326", *src.bounds, densify_pts=21)
            if not np.isfinite(bounds).all():
                raise LoadError("Die Ausdehnung des Rasters lässt sich nicht nach WGS84 umrechnen.")
            stats = _stats(src)
            report.source_crs = str(crs.to_string() if hasattr(crs, "to_string") else crs)
            return {
                "bounds": bounds,
                "count": src.count,
                "dtype": src.dtypes[0],
                "nodata": src.nodata,
                "width": src.width,
                "height": src.height,
                "stats": stats,
                "crs": report.source_crs,
            }
    except RasterioError as exc:
        raise LoadError(f"Raster nicht lesbar: {str(exc)[:200]}") from None


def _stats(src: rasterio.DatasetReader) -> dict[str, float | None]:
    """Min/max of band 1 from a small overview read (fails loudly on corrupt files)."""
    factor = max(1, max(src.width, src.height) // 512)
    data = src.read(
        1, out_shape=(max(1, src.height // factor), max(1, src.width // factor)), masked=True
    )
    values = data.compressed()
    values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if values.size == 0:
        return {"min": None, "max": None}
    return {"min": float(values.min()), "max": float(values.max())}


def load_raster(
    engine: Engine,
    settings: Settings,
    definition: RasterLayer,
    report: LoadReport,
    *,
    origin: str,
    actor: str,
    action: str,
) -> int:
    """Convert to COG under ``var/raster/<id>/`` and make it the live version atomically."""
    with workdir(settings.var / "tmp") as work:
        src = resolve(
            resolve_source_path(definition.source.path, settings.root),
            definition.source.layer,
            work,
        )
        report.source, report.format = src.path.name, "gtiff"
        meta = check_raster(src.path, definition.source.crs, report)
        if meta["stats"]["min"] is None:
            report.note("Das Raster enthält nur NoData-Werte.")
        with engine.connect() as conn, conn.begin():
            version = versions.next_version(conn)
        target = settings.shared / "raster" / definition.id / f"v{version}.tif"
        _to_cog(src.path, target, definition.source.crs)
        try:
            files = _publish(
                engine,
                settings,
                definition,
                version,
                target,
                meta,
                report,
                checksum(src.members),
                origin=origin,
                actor=actor,
                action=action,
            )
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    for name in files:
        with contextlib.suppress(OSError):
            Path(name).unlink()
    return version


def _to_cog(source: Path, target: Path, crs_override: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.tif")
    config: dict[str, Any] = {"GDAL_NUM_THREADS": "ALL_CPUS", "GDAL_TIFF_OVR_BLOCKSIZE": "512"}
    profile = cog_profiles.get("deflate")
    profile.update({"blockxsize": 512, "blockysize": 512, "predictor": 2})
    try:
        with rasterio.open(source) as src:
            if crs_override:
                crs = parse_crs(crs_override)
                with WarpedVRT(src, src_crs=crs, crs=crs) as vrt:
                    cog_translate(
                        vrt,
                        str(partial),
                        profile,
                        config=config,
                        quiet=True,
                        overview_resampling="average",
                    )
            else:
                cog_translate(
                    src,
                    str(partial),
                    profile,
                    config=config,
                    quiet=True,
                    overview_resampling="average",
                )
    except (RasterioError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise LoadError(
            f"Umwandlung in ein Cloud-Optimized GeoTIFF fehlgeschlagen: {str(exc)[:200]}"
        ) from None
    partial.replace(target)


def _publish(
    engine: Engine,
    settings: Settings,
    definition: RasterLayer,
    version: int,
    target: Path,
    meta: dict[str, Any],
    report: LoadReport,
    digest: str,
    *,
    origin: str,
    actor: str,
    action: str,
) -> list[str]:
    report.read = report.written = 1
    data = report.to_dict() | {"raster": meta}
    stats = versions.VersionStats(
        feature_count=0,
        geometry_type="Raster",
        bbox=tuple(meta["bounds"]),
        storage_srid=None,
        checksum=digest,
        report=data,
    )
    with engine.connect() as conn, conn.begin():
        versions.lock_layer(conn, definition.id)
        versions.record_version(
            conn,
            definition,
            version,
            stats,
            origin=origin,
            actor=actor,
            action=action,
            raster_path=str(target),
        )
        return versions.prune_versions(conn, definition.id, settings.keep_versions)
