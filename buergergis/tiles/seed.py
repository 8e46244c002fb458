"""Pre-filling the tile cache (``buergergis tiles seed``) and the tile plan shared with export.

A plan is the list of tiles of some layers within a zoom range and a WGS84 bbox, cut to the
layers' own extent and zoom range. Seeding renders every planned tile that is not cached yet,
with a few threads (the work happens in PostGIS or GDAL, which release the GIL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from buergergis.errors import InvalidParameter
from buergergis.store.catalog import LayerRecord
from buergergis.tiles.grid import TileAddress, count_tiles, tiles_in
from buergergis.tiles.metadata import union_bbox
from buergergis.tiles.provider import TileProvider, TileSpec, zoom_range

MAX_TILES = 250_000


@dataclass(frozen=True)
class TilePlan:
    """Which tiles to make: layers, format, zoom range and bbox (WGS84)."""

    records: tuple[LayerRecord, ...]
    fmt: str
    minzoom: int
    maxzoom: int
    bbox: tuple[float, float, float, float]
    scale: int = 1

    @property
    def count(self) -> int:
        """Number of tiles in the plan."""
        return count_tiles(self.bbox, self.minzoom, self.maxzoom)

    def tiles(self) -> Iterator[TileAddress]:
        """The tiles, zoom by zoom."""
        return tiles_in(self.bbox, self.minzoom, self.maxzoom)

    def spec(self, tile: TileAddress) -> TileSpec:
        """The request for one tile of the plan."""
        return TileSpec(tuple(r.id for r in self.records), tile, self.fmt, self.scale)


def make_plan(
    records: list[LayerRecord],
    zooms: tuple[int, int] | None,
    bbox: tuple[float, float, float, float] | None,
    fmt: str | None = None,
    scale: int = 1,
    max_tiles: int = MAX_TILES,
) -> TilePlan:
    """Cut the requested zooms and bbox to the layers; 400 when nothing or too much is left."""
    vector_tiles = all(r.kind == "vector" for r in records)
    low, high = zoom_range(records, vector_tiles)
    want_low, want_high = zooms or (low, min(high, 14))
    minzoom, maxzoom = max(low, want_low), min(high, want_high)
    if minzoom > maxzoom:
        raise InvalidParameter(f"Der Layer hat Kacheln nur in den Zoomstufen {low}–{high}.")
    extent = union_bbox(records)
    area = bbox or extent
    cut = (
        max(area[0], extent[0]),
        max(area[1], extent[1]),
        min(area[2], extent[2]),
        min(area[3], extent[3]),
    )
    if cut[0] > cut[2] or cut[1] > cut[3]:
        raise InvalidParameter("Die bbox liegt außerhalb der Daten des Layers.")
    fmt = fmt or ("mvt" if vector_tiles else "png")
    if (fmt == "mvt") != vector_tiles:
        raise InvalidParameter("mvt passt nur zu Vektorlayern, png/webp nur zu Rasterlayern.")
    plan = TilePlan(tuple(records), fmt, minzoom, maxzoom, cut, scale)
    if plan.count > max_tiles:
        raise InvalidParameter(
            f"{plan.count} Kacheln sind zu viele (höchstens {max_tiles}); "
            "bitte Zoombereich oder bbox verkleinern."
        )
    return plan


@dataclass
class SeedResult:
    """What seeding did."""

    tiles: int = 0
    empty: int = 0
    bytes: int = 0


def seed(
    service: TileProvider,
    plan: TilePlan,
    *,
    jobs: int = 2,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Render and cache every tile of the plan (cached tiles are only read)."""
    if not service.cache.enabled:
        raise InvalidParameter("Der Kachel-Cache ist ausgeschaltet (tile_cache_max_mb = 0).")
    records = list(plan.records)
    result = SeedResult()

    def one(tile: TileAddress) -> int:
        return len(service.get(records, plan.spec(tile)).data)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for size in pool.map(one, plan.tiles()):
            result.tiles += 1
            result.empty += size == 0
            result.bytes += size
            if progress:
                progress(1)
    return result
