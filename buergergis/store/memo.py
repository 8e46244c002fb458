"""Layer records memoised per ``(id, version)`` for the hot feature and tile paths.

Versions are never reused, so a memoised :class:`LayerRecord` can never be stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import Engine

from buergergis.store.catalog import LayerRecord, get_layer


class RecordMemo:
    """Layer records memoised per ``(id, version)``, loaded through the engine on first use."""

    def __init__(self, engine: Engine, size: int = 256) -> None:
        self._engine = engine
        self._size = size
        self._memo: OrderedDict[tuple[str, int], LayerRecord] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, layer_id: str, version: int, *, include_private: bool = False
    ) -> LayerRecord | None:
        """The record at ``version``; if the layer moved on meanwhile, the newer record."""
        key = (layer_id, version)
        with self._lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        with self._engine.connect() as conn:
            loaded = get_layer(conn, layer_id, include_private=include_private)
        if loaded is None:
            return None
        with self._lock:
            self._memo[(layer_id, loaded.version)] = loaded
            while len(self._memo) > self._size:
                self._memo.popitem(last=False)
        return loaded
