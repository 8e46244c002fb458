"""The tile service: resolve layers → cache lookup → render → store. Used by web, seed, export.

Nothing here knows Flask. Every tile is identified by a :class:`TileSpec` (layers, address,
format, scale); every answer is a :class:`Tile` with the bytes as stored (MVT gzip-compressed
once) and the layer versions it was made from.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from buergergis import metrics
from buergergis.catalog.models import ID_PATTERN
from buergergis.errors import InvalidParameter, NotFound
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord, layer_versions
from buergergis.tiles import raster, vector
from buergergis.tiles.cache import CachedTile, TileCache, compress, layer_key
from buergergis.tiles.database import TileDatabase
from buergergis.tiles.grid import TileAddress

log = logging.getLogger("buergergis.tiles")

MVT_TYPE = "application/vnd.mapbox-vector-tile"
MEDIA_TYPES = {"mvt": MVT_TYPE, "png": "image/png", "webp": "image/webp"}
#: Vector tiles are made up to this zoom; clients draw larger zooms from them (overzoom).
VECTOR_MAX_ZOOM = 16
MAX_LAYERS = 10
_ID = re.compile(ID_PATTERN)
_TILE_NAME = re.compile(r"^(?P<y>[0-9]{1,8})(?P<scale>@2x)?\.(?P<fmt>mvt|pbf|png|webp)$")


@dataclass(frozen=True)
class TileSpec:
    """One requested tile: which layers, where, in which format and pixel scale."""

    layer_ids: tuple[str, ...]
    tile: TileAddress
    fmt: str
    scale: int = 1

    @classmethod
    def parse(cls, layers: str, z: int, x: int, name: str) -> TileSpec:
        """From the URL parts ``{layers}/{z}/{x}/{name}`` (``name`` = ``y[@2x].fmt``)."""
        match = _TILE_NAME.match(name)
        if not match:
            raise NotFound(f"Unbekanntes Kachelformat '{name}' (mvt, png, webp, @2x für 512 px).")
        fmt = "mvt" if match["fmt"] == "pbf" else match["fmt"]
        scale = 2 if match["scale"] else 1
        if fmt == "mvt" and scale != 1:
            raise NotFound("Vektorkacheln haben keine Pixelgröße; @2x gibt es nur für Bilder.")
        return cls(parse_layer_list(layers), TileAddress(z, x, int(match["y"])), fmt, scale)

    @property
    def vector(self) -> bool:
        """MVT (as opposed to an image)."""
        return self.fmt == "mvt"

    @property
    def suffix(self) -> str:
        """File name suffix in the cache."""
        return ".mvt.gz" if self.vector else f"{'@2x' if self.scale == 2 else ''}.{self.fmt}"


def parse_layer_list(text: str) -> tuple[str, ...]:
    """``a,b`` → ``("a", "b")``; unknown shapes are 404 (no such layer), too many 400."""
    ids = tuple(text.split(","))
    if len(ids) > MAX_LAYERS:
        raise InvalidParameter(f"Höchstens {MAX_LAYERS} Layer in einer Kachel.")
    if len(set(ids)) != len(ids):
        raise InvalidParameter("Ein Layer ist mehrfach angegeben.")
    for layer_id in ids:
        if not _ID.match(layer_id):
            raise NotFound(f"Layer '{layer_id[:60]}' gibt es nicht.")
    return ids


#: Tiles of private layers live below this directory of the cache, where no versioned public
#: URL (and so no nginx ``try_files``) can reach them.
PRIVATE_DIR = "private"


def parse_versioned_key(key: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``a@3,b@5`` (the key of a versioned tile URL) → layer ids and versions; else 404."""
    ids, numbers = [], []
    for part in key.split(","):
        layer_id, sep, version = part.rpartition("@")
        if not sep or not version.isdigit() or len(version) > 12:
            raise NotFound("Diese Kachel-Adresse gibt es nicht.")
        ids.append(layer_id)
        numbers.append(int(version))
    return parse_layer_list(",".join(ids)), tuple(numbers)


def versioned_key(records: Sequence[LayerRecord]) -> str | None:
    """The key of the versioned tile URL of these records (``None``: too long, hashed)."""
    key = layer_key(versions_of(records))
    return None if key.startswith("h-") else key


@dataclass(frozen=True)
class Tile:
    """A tile ready to send: stored bytes, whether they are gzip, and its media type."""

    data: bytes
    gzipped: bool
    media_type: str

    @property
    def empty(self) -> bool:
        """An MVT without features (zero bytes)."""
        return not self.data


class TileProvider:
    """Layers → tiles, through the versioned disk cache."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.db = TileDatabase(
            settings.libpq_url(),
            engine,
            settings.statement_timeout_ms,
            replica_url=settings.replica_url,
            replica_retry_s=settings.replica_retry_s,
        )
        self.cache = TileCache(
            settings.shared / "cache" / "tiles",
            settings.tile_cache_max_mb * 1024 * 1024,
            current=self._current_keys,
        )

    def resolve(
        self, layer_ids: Sequence[str], may_see_private: Callable[[], bool] = lambda: False
    ) -> tuple[list[LayerRecord], bool]:
        """The current records in request order and whether all are public.

        404 for unknown, unloaded or hidden layers; ``may_see_private`` is only asked when a
        layer is not public (so public requests never touch the session).
        """
        states = self.db.lookup(layer_ids)
        records, all_public = [], True
        for layer_id in layer_ids:
            state = states.get(layer_id)
            record = self.db.record(layer_id, state.version) if state else None
            if record is None or state is None or not record.loaded:
                raise NotFound(f"Layer '{layer_id}' gibt es nicht.")
            public = state.public if record.version == state.version else record.public
            if not public and not may_see_private():
                raise NotFound(f"Layer '{layer_id}' gibt es nicht.")
            all_public = all_public and public
            records.append(record)
        return records, all_public

    def get(self, records: list[LayerRecord], spec: TileSpec) -> Tile:
        """The tile from the cache, or rendered and stored."""
        check_request(records, spec)
        found = self.cached(records, spec)
        if found is not None:
            metrics.tile_cache("hit")
            return found
        metrics.tile_cache("miss")
        stored = self.render(records, spec)
        if stored is None:  # outside the data: answered from memory, not worth a file
            blank = b"" if spec.vector else raster.empty_image(spec.fmt, 256 * spec.scale)
            return Tile(blank, False, MEDIA_TYPES[spec.fmt])
        self.cache.put(self._path(records, spec), stored)
        return Tile(stored.data, stored.gzipped, MEDIA_TYPES[spec.fmt])

    def cached(self, records: list[LayerRecord], spec: TileSpec) -> Tile | None:
        """The stored tile for exactly these layer versions, or None (call check_request first)."""
        hit = self.cache.get(self._path(records, spec), spec.vector)
        return Tile(hit.data, hit.gzipped, MEDIA_TYPES[spec.fmt]) if hit is not None else None

    def _path(self, records: list[LayerRecord], spec: TileSpec) -> Path:
        t = spec.tile
        key = layer_key(versions_of(records))
        if not all(r.public for r in records):
            key = f"{PRIVATE_DIR}/{key}"
        return self.cache.path(key, t.z, t.x, t.y, spec.suffix)

    def render(self, records: list[LayerRecord], spec: TileSpec) -> CachedTile | None:
        """Make a tile now; None when it is empty without any work (outside the data).

        MVT comes back gzip-compressed when the cache is on.
        """
        if not spec.vector:
            image = raster.render_raster(records[0], spec.tile, spec.fmt, spec.scale)
            return CachedTile(image, False) if image is not None else None
        query = vector.build_query(records, spec.tile)
        if query.empty:
            return None
        data = self.db.mvt(query)
        if not self.cache.enabled:
            return CachedTile(data, False)
        return CachedTile(compress(data), True)

    def sweep(self) -> int:
        """Drop superseded versions and trim the cache to its bound; returns bytes freed."""
        return self.cache.sweep(self._current_keys())

    def _current_keys(self) -> Callable[[str], bool]:
        with self.engine.connect() as conn:
            current = layer_versions(conn)
        return lambda key: key == PRIVATE_DIR or key_is_current(key, current)


def versions_of(records: Sequence[LayerRecord]) -> list[tuple[str, int]]:
    """``(layer_id, version)`` pairs: the identity of a tile's data (cache key, ETag)."""
    return [(r.id, r.version) for r in records]


def key_is_current(key: str, current: dict[str, int]) -> bool:
    """Whether every ``id@version`` of a cache key is still the live version (hashed keys: yes)."""
    if key.startswith("h-"):
        return True
    for part in key.split(","):
        layer_id, _, version = part.rpartition("@")
        if not version.isdigit() or current.get(layer_id) != int(version):
            return False
    return True


def zoom_range(records: Sequence[LayerRecord], vector_tiles: bool) -> tuple[int, int]:
    """Zooms in which the tiles exist (vector tiles stop at ``VECTOR_MAX_ZOOM``)."""
    low = min(r.definition.minzoom for r in records)
    high = max(r.definition.maxzoom for r in records)
    if vector_tiles:
        high = min(high, VECTOR_MAX_ZOOM)
    return low, max(low, high)


def check_request(records: list[LayerRecord], spec: TileSpec) -> None:
    """Format fits the layer kinds and the zoom is offered; 404/400 otherwise."""
    kinds = {r.kind for r in records}
    if spec.vector and kinds != {"vector"}:
        raise NotFound("Vektorkacheln (.mvt) gibt es nur für Vektorlayer.")
    if not spec.vector:
        if kinds != {"raster"}:
            raise NotFound("Bildkacheln (.png/.webp) gibt es nur für Rasterlayer.")
        if len(records) > 1:
            raise InvalidParameter("Rasterkacheln gibt es nur für einen Layer je Anfrage.")
    low, high = zoom_range(records, spec.vector)
    if not low <= spec.tile.z <= high:
        raise NotFound(f"Kacheln dieses Layers gibt es nur in den Zoomstufen {low}–{high}.")
