"""Typed settings from the environment (``BUERGERGIS_*``; ``DATABASE_URL`` wins).

Settings are read once per app (``create_app``) or CLI invocation, never at import time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class HomeView:
    """The city view (WGS84): ``center`` as (lat, lon), ``extent`` as (west, south, east, north).

    Every map page without an explicit ``center`` opens here; a layer's extent never moves it.
    """

    center: tuple[float, float]
    extent: tuple[float, float, float, float]


def _numbers(value: str, count: int, name: str) -> list[float]:
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        raise ValueError(f"{name}: erwartet {count} durch Komma getrennte Zahlen")
    return numbers


def parse_home_center(value: str) -> tuple[float, float]:
    """``'lat,lon'`` in WGS84 degrees."""
    lat, lon = _numbers(value, 2, "home_center")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("home_center: 'Breite,Länge' in Grad, z. B. 52.1037,9.3563")
    return (lat, lon)


def parse_home_extent(value: str) -> tuple[float, float, float, float]:
    """``'west,south,east,north'`` in WGS84 degrees (west < east, south < north)."""
    west, south, east, north = _numbers(value, 4, "home_extent")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("home_extent: 'West,Süd,Ost,Nord' in Grad, z. B. 9.26,52.04,9.48,52.17")
    return (west, south, east, north)


class Settings(BaseSettings):
    """All configuration of BürgerGIS. Every field can be set as ``BUERGERGIS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "BUERGERGIS_DATABASE_URL"),
        description="PostgreSQL/PostGIS URL. Without it the private cluster under var/ is used.",
    )
    root: Path = Field(default=PROJECT_ROOT, description="Project root (layers/, data/, var/).")
    var_dir: Path | None = Field(default=None, description="Runtime state; default <root>/var.")
    layers_dir: Path | None = Field(
        default=None, description="Layer definitions; default <root>/layers."
    )
    pg_port: int = Field(default=54329, description="Loopback port of the private cluster.")
    pg_user: str = Field(default="buergergis", description="Database role of the private cluster.")
    pg_database: str = Field(
        default="buergergis", description="Database name in the private cluster."
    )
    pg_os_user: str = Field(
        default="buergergis",
        description="Unprivileged OS user that runs the cluster when started as root.",
    )
    storage_srid: int = Field(default=25832, description="SRID of stored layer geometries.")
    keep_versions: int = Field(
        default=5, ge=1, description="How many earlier layer versions are kept."
    )
    statement_timeout_ms: int = Field(default=15000, description="Statement timeout for requests.")
    pool_size: int = Field(default=8, description="SQLAlchemy pool size per process.")
    search_slots: int = Field(
        default=1,
        ge=1,
        description="Searches running at once across all processes and instances (more wait).",
    )
    search_queue: int = Field(
        default=8,
        ge=1,
        description="Searches running or waiting in one process; more get 503 at once.",
    )
    search_wait_s: float = Field(
        default=3.0,
        gt=0,
        description="How long a search waits for a free slot before it gets 503.",
    )
    secret_key: str | None = Field(
        default=None, description="Flask secret key; generated under var/ when unset."
    )
    public_url: str = Field(
        default="http://127.0.0.1:5000", description="Public base URL of the service."
    )
    shared_dir: Path | None = Field(
        default=None,
        description="State shared by several app hosts (staged uploads, sources, COGs, tile "
        "cache), e.g. an NFS mount; default <var>. When set, secret_key must be set too.",
    )
    replica_url: str | None = Field(
        default=None,
        description="libpq URL of a streaming-replication standby: anonymous GETs of features "
        "and tiles read from it (primary when it is down or the session has written).",
    )
    replica_retry_s: float = Field(default=2.0, gt=0, description="After a replica failure, reads use the primary this many seconds before the replica is tried again.")  # fmt: skip
    primary_after_write_s: int = Field(default=300, ge=0, description="After a write (POST, PUT, PATCH, DELETE) a session reads from the primary this many seconds.")  # fmt: skip
    metrics_token: str | None = Field(
        default=None,
        description="Bearer token for /metrics; without it only direct loopback requests may read it.",
    )
    cache_control: str = Field(
        default="public, no-cache",
        description="Cache-Control for API responses (no-cache: clients revalidate with a cheap 304).",
    )
    tile_cache_control: str = Field(
        default="public, no-cache",
        description="Cache-Control for tiles (no-cache: a reloaded layer's old tiles are never shown).",
    )
    items_default_limit: int = Field(
        default=10, ge=1, description="Features per page of /items without limit."
    )
    items_max_limit: int = Field(default=10000, ge=1, description="Largest limit of /items.")
    tile_cache_max_mb: int = Field(default=512, description="Size bound of the disk tile cache.")
    basemap_url: str = Field(
        default="https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe/default/GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png",
        description="Basemap tile URL template; empty disables the basemap.",
    )
    basemap_attribution: str = Field(
        default="© GeoBasis-DE / BKG (basemap.de)", description="Attribution shown for the basemap."
    )
    frame_ancestors: str = Field(
        default="'self' https://www.hameln.de https://hameln.de",
        description="CSP frame-ancestors for /embed.",
    )
    upload_max_mb: int = Field(default=200, description="Largest accepted upload.")
    session_cookie_secure: bool | None = Field(default=None, description="Secure flag of the staff session cookie; default: on when public_url is https.")  # fmt: skip
    log_level: str = Field(default="INFO", description="Log level (DEBUG, INFO, WARNING, ERROR).")
    session_max_hours: float = Field(default=8, gt=0, le=24, description="Longest staff session (hours) before a new login is needed.")  # fmt: skip
    session_idle_minutes: int = Field(default=60, ge=1, description="Staff sessions end after this many minutes without a request.")  # fmt: skip
    deleted_keep_days: int = Field(default=30, ge=0, description="Deleted layers stay restorable this many days, then 'buergergis layers purge' removes them.")  # fmt: skip
    upload_keep_hours: int = Field(default=72, ge=1, description="Unpublished uploads ('Meine Uploads') are removed after this many hours.")  # fmt: skip
    extern_hosts: str = Field(
        default="",
        description="Upstream hosts external layers (kind: external) may name, comma-separated "
        "('host' or 'host:port'); empty: no external layers. Only BürgerGIS contacts them.",
    )
    extern_timeout_s: float = Field(default=5.0, gt=0, le=60, description="Timeout of every request to an external service (tiles, legend, GetFeatureInfo).")  # fmt: skip
    extern_max_mb: float = Field(default=8.0, gt=0, le=100, description="Largest response accepted from an external service (MB).")  # fmt: skip
    extern_cache_hours: float = Field(default=168, gt=0, description="Cached tiles of external layers older than this are fetched again (when the service is down then, the map shows 'Dienst nicht erreichbar').")  # fmt: skip
    home_center: str = Field(
        default="52.1037,9.3563",
        description="Centre of the city view as 'lat,lon' (WGS84); default: Hameln, Pferdemarkt.",
    )
    home_extent: str = Field(
        default="9.26,52.04,9.48,52.17",
        description="City extent 'west,south,east,north' (WGS84): the home view of / and /embed, "
        "and the area layers are checked against on import.",
    )

    @field_validator("home_center")
    @classmethod
    def _check_center(cls, value: str) -> str:
        parse_home_center(value)
        return value

    @field_validator("home_extent")
    @classmethod
    def _check_extent(cls, value: str) -> str:
        parse_home_extent(value)
        return value

    @cached_property
    def home(self) -> HomeView:
        """The city view: centre and extent from ``home_center``/``home_extent``."""
        return HomeView(parse_home_center(self.home_center), parse_home_extent(self.home_extent))

    @cached_property
    def extern_allowed(self) -> frozenset[str]:
        """The allowed upstream hosts (lowercase; ``host`` or ``host:port``)."""
        return frozenset(h.strip().lower() for h in self.extern_hosts.split(",") if h.strip())

    @cached_property
    def var(self) -> Path:
        """Directory for runtime state (cluster, caches, COGs)."""
        return (self.var_dir or self.root / "var").resolve()

    @cached_property
    def shared(self) -> Path:
        """State all app hosts share: ``uploads``, ``sources``, ``raster``, ``cache/tiles``."""
        return (self.shared_dir or self.var).resolve()

    @cached_property
    def layers_path(self) -> Path:
        """Directory holding ``*.yaml`` layer definitions."""
        return (self.layers_dir or self.root / "layers").resolve()

    @cached_property
    def pg_socket_dir(self) -> Path:
        """Unix socket directory of the private cluster."""
        return self.var / "pg" / "run"

    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy connects to (psycopg 3 driver)."""
        if self.database_url:
            url = self.database_url
            for prefix in ("postgresql://", "postgres://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return (
            f"postgresql+psycopg://{self.pg_user}@/{self.pg_database}"
            f"?host={self.pg_socket_dir}&port={self.pg_port}"
        )

    def libpq_url(self) -> str:
        """A plain libpq URL (for psql, ogr2ogr, pgbench and peer servers)."""
        return self.sqlalchemy_url().replace("postgresql+psycopg://", "postgresql://", 1)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
