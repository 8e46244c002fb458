"""External layers (issue 16): other authorities' WMS, WMTS and XYZ services, proxied and
cached by MapProxy in-process, so the citizen's browser never contacts the authority.

``registry`` (definitions + allow-list) → ``mapproxy_conf`` (MapProxy configuration) →
``proxy`` (tiles, legends, "Dienst nicht erreichbar") and ``featureinfo`` (answers at a
point for „Was gilt hier?“/„Mein Ort“); ``guard`` checks every upstream request.
"""

from __future__ import annotations

from dataclasses import dataclass

from buergergis.extern.guard import Policy
from buergergis.extern.proxy import ExternalProxy
from buergergis.extern.registry import Registry, load_registry
from buergergis.settings import Settings


@dataclass(frozen=True)
class External:
    """What the web layer keeps per app: the registry, the proxy and the policy."""

    registry: Registry
    proxy: ExternalProxy
    policy: Policy


def policy_of(settings: Settings) -> Policy:
    """The upstream policy from the settings."""
    return Policy(
        allowed=settings.extern_allowed,
        max_bytes=int(settings.extern_max_mb * 1024 * 1024),
        timeout_s=settings.extern_timeout_s,
    )


def load_external(settings: Settings) -> External:
    """Read and check the external layers; MapProxy itself starts on the first tile."""
    registry = load_registry(settings)
    policy = policy_of(settings)
    proxy = ExternalProxy(registry, settings.shared, policy, settings.extern_cache_hours)
    return External(registry, proxy, policy)
