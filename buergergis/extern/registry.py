"""The external layers of this service: ``kind: external`` files in ``layers/``, each checked
against the allow-list of upstream hosts (``BUERGERGIS_EXTERN_HOSTS``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from buergergis.catalog.models import ExternalLayer
from buergergis.catalog.parse import is_external_file, load_external_file
from buergergis.errors import DefinitionError
from buergergis.extern.guard import check_host
from buergergis.settings import Settings


@dataclass(frozen=True)
class Registry:
    """The validated external layers, in file order, and a key that changes with them."""

    layers: tuple[ExternalLayer, ...]
    problems: tuple[str, ...] = ()

    def check(self) -> None:
        """Raise the German messages of all refused files together (``DefinitionError``)."""
        if self.problems:
            raise DefinitionError("\n".join(self.problems))

    def get(self, layer_id: str) -> ExternalLayer | None:
        """One external layer (public only), or ``None``."""
        return next((la for la in self.layers if la.id == layer_id and la.public), None)

    @property
    def public(self) -> tuple[ExternalLayer, ...]:
        """The layers shown to citizens."""
        return tuple(la for la in self.layers if la.public)

    @property
    def key(self) -> str:
        """Changes whenever a definition changes (part of the map pages' ETag)."""
        text = json.dumps([la.model_dump(mode="json") for la in self.layers], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_definition(layer: ExternalLayer, allowed: frozenset[str], origin: str) -> None:
    """The definition's service host must be on the allow-list."""
    check_host(layer.extern.url, allowed, origin)


def load_registry(settings: Settings, directory: Path | None = None) -> Registry:
    """Read every external layer under ``layers/``. Refused files (shape, host not allowed)
    are left out and named in :attr:`Registry.problems` — one broken file does not take the
    other layers down; :meth:`Registry.check` raises them all together."""
    layers, problems = [], []
    for path in sorted((directory or settings.layers_path).glob("*.yaml")):
        try:
            if not is_external_file(path):
                continue
        except DefinitionError:
            continue  # unreadable: the loader of data layers reports it
        try:
            layer = load_external_file(path)
            check_definition(layer, settings.extern_allowed, path.name)
            layers.append(layer)
        except DefinitionError as exc:
            problems.append(exc.description)
    return Registry(tuple(layers), tuple(problems))
