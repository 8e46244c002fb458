"""Decide whether a layer needs reloading (``buergergis load --changed``)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.catalog.parse import resolve_source_path
from buergergis.errors import LoadError
from buergergis.ingest.pipeline import definition_sha
from buergergis.ingest.sources import checksum, resolve, workdir
from buergergis.settings import Settings


def is_unchanged(engine: Engine, settings: Settings, definition: VectorLayer | RasterLayer) -> bool:
    """True when the live version was loaded from the same definition and the same source bytes."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT source_checksum, report->>'definition_sha' AS sha, version"
                " FROM buergergis.layer WHERE id = :id"
            ),
            {"id": definition.id},
        ).one_or_none()
    if row is None or row.version == 0 or row.sha != definition_sha(definition):
        return False
    try:
        with workdir(settings.var / "tmp") as work:
            path = resolve_source_path(definition.source.path, settings.root)
            src = resolve(path, definition.source.layer, work)
            return bool(checksum(src.members) == row.source_checksum)
    except LoadError:
        return False
