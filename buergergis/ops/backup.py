"""``buergergis backup DIR`` / ``buergergis restore DIR``.

A backup is one folder: ``database.dump`` (``pg_dump`` custom format), ``files/`` (the file
state: COGs, staged uploads, kept sources, application attachments, the secret key) and
``manifest.json`` (what is in it, with SHA-256 of every file). It is consistent: the dump is
taken from an exported snapshot, and the COGs copied are exactly those the catalog in that
snapshot refers to (versions are never reused, so a file of version N never changes).
Restoring checks every checksum before it touches anything, refuses a database that
already holds BürgerGIS data (unless ``force``), then restores, copies the files back and
migrates to the current schema.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from buergergis.db import cluster
from buergergis.errors import BuergerGISError, Conflict, InvalidParameter
from buergergis.settings import Settings

FORMAT = 1
#: File state below the shared directory, copied whole (caches and work folders are not).
SHARED_DIRS = ("uploads", "sources", "anfragen")
#: Single files of the file state below var/.
VAR_FILES = ("secret_key",)
_RASTERS = (
    "SELECT v.layer_id, v.version FROM buergergis.layer_version v"
    " JOIN buergergis.layer l ON l.id = v.layer_id WHERE l.kind = 'raster'"
)


class BackupError(BuergerGISError):
    """A backup could not be written or restored; nothing was changed."""

    status = 500
    code = "BackupFailed"


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds."""

    path: Path
    layers: dict[str, int]
    files: int
    bytes: int


def _tool(name: str) -> str:
    try:
        return str(cluster.bindir() / name)
    except BuergerGISError:
        found = shutil.which(name)
        if found is None:
            raise BackupError(
                f"{name} ist nicht installiert (PostgreSQL-Clientprogramme)."
            ) from None
        return found


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{Path(argv[0]).name} ist fehlgeschlagen: " + " / ".join(tail))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _file_state(settings: Settings, rasters: list[tuple[str, int]]) -> dict[Path, Path]:
    """Backup-relative name → source path of every file of the file state."""
    files: dict[Path, Path] = {}
    for layer_id, version in rasters:
        cog = settings.shared / "raster" / layer_id / f"v{version}.tif"
        if cog.is_file():
            files[Path("raster") / layer_id / cog.name] = cog
    for name in SHARED_DIRS:
        root = settings.shared / name
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file():
                files[Path(name) / path.relative_to(root)] = path
    for name in VAR_FILES:
        if (settings.var / name).is_file():
            files[Path("var") / name] = settings.var / name
    return files


def backup(settings: Settings, target: Path) -> BackupSummary:
    """Write a consistent backup into the new or empty folder ``target``."""
    if target.exists() and any(target.iterdir()):
        raise Conflict(f"Der Ordner {target} ist nicht leer; bitte einen neuen Ordner angeben.")
    target.mkdir(parents=True, exist_ok=True)
    url = settings.libpq_url()
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        _run([_tool("pg_dump"), "-Fc", "--no-owner", "--snapshot", snapshot,
              "-f", str(target / "database.dump"), url])  # fmt: skip
        rasters = [(r[0], int(r[1])) for r in conn.execute(_RASTERS)]
        rows = conn.execute("SELECT id, version FROM buergergis.layer ORDER BY id").fetchall()
        layers: dict[str, int] = {str(r[0]): int(r[1]) for r in rows}
        revision = conn.execute("SELECT version_num FROM buergergis.alembic_version").fetchone()
        files = _file_state(settings, rasters)  # while the snapshot holds: same catalog
        checksums = {}
        for name, source in files.items():
            _copy(source, target / "files" / name)
            checksums[str(name)] = _sha256(target / "files" / name)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_revision": revision[0] if revision else None,
        "layers": layers,
        "database": {"file": "database.dump", "sha256": _sha256(target / "database.dump")},
        "files": checksums,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return BackupSummary(target, {k: int(v) for k, v in layers.items()}, len(files), size)


def _verified_manifest(source: Path) -> dict:
    manifest_path = source / "manifest.json"
    if not manifest_path.is_file():
        raise InvalidParameter(f"{source} ist keine BürgerGIS-Sicherung (manifest.json fehlt).")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise InvalidParameter(f"Unbekanntes Sicherungsformat {manifest.get('format')!r}.")
    expected = {"database.dump": manifest["database"]["sha256"]} | {
        f"files/{name}": digest for name, digest in manifest["files"].items()
    }
    for name, digest in expected.items():
        path = source / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"Die Sicherung ist beschädigt: {name} fehlt oder wurde verändert.")
    return manifest


def _prepare_database(url: str, force: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        present = conn.execute("SELECT to_regclass('buergergis.layer') IS NOT NULL").fetchone()
        if present and present[0]:
            if not force:
                raise Conflict(
                    "Die Zieldatenbank enthält schon BürgerGIS-Daten. Wiederherstellen nur in "
                    "eine leere Datenbank, oder mit --force (ersetzt alles)."
                )
            conn.execute("DROP SCHEMA IF EXISTS layers, layerdata, buergergis CASCADE")
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def restore(settings: Settings, source: Path, *, force: bool = False) -> dict[str, int]:
    """Restore a backup into the configured database and file state; returns the layers."""
    manifest = _verified_manifest(source)
    url = settings.libpq_url()
    _prepare_database(url, force)
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
          "-d", url, str(source / "database.dump")])  # fmt: skip
    for name in manifest["files"]:
        relative = Path(name)
        if relative.parts[0] == "var":
            target = settings.var / Path(*relative.parts[1:])
        else:
            target = settings.shared / relative
        _copy(source / "files" / relative, target)
    from buergergis.db.migrate import upgrade

    upgrade(settings)
    return {k: int(v) for k, v in manifest["layers"].items()}
