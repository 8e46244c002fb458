"""Find the dataset behind a source path: a folder, a ``.shp``, a ``.zip`` or a single file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from buergergis.errors import LoadError

VECTOR_SUFFIXES = {
    ".shp": "shapefile",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".fgb": "flatgeobuf",
    ".csv": "csv",
}
RASTER_SUFFIXES = {".tif": "gtiff", ".tiff": "gtiff", ".hgt": "gtiff"}
SUPPORTED = "Shapefile (Ordner, .shp oder .zip), GeoPackage, GeoJSON, FlatGeobuf, Esri File-Geodatabase (.gdb), CSV, GeoTIFF"

#: Limits for archives named in layer definitions and imports (uploads have stricter ones).
MAX_UNPACKED_BYTES = 8 * 1024**3
MAX_MEMBERS = 2000


@dataclass(frozen=True)
class ResolvedSource:
    """A concrete file to read, its format and the files that make up its checksum."""

    path: Path
    format: str
    members: tuple[Path, ...]


def detect_format(path: Path) -> str:
    """Format from the file name; unsupported formats are refused with the supported list."""
    suffix = path.suffix.lower()
    if suffix == ".gdb" and path.is_dir():
        return "filegdb"
    fmt = VECTOR_SUFFIXES.get(suffix) or RASTER_SUFFIXES.get(suffix)
    if fmt is None:
        raise LoadError(
            f"Dateiformat '{suffix or path.name}' wird nicht unterstützt. Möglich: {SUPPORTED}."
        )
    return fmt


def _shapefile_members(shp: Path) -> tuple[Path, ...]:
    stem = shp.stem.lower()
    return tuple(sorted(p for p in shp.parent.iterdir() if p.stem.lower() == stem and p.is_file()))


def _pick_in_folder(folder: Path, layer: str | None) -> Path:
    gdbs = sorted(p for p in folder.rglob("*.gdb") if p.is_dir())
    if len(gdbs) == 1:
        return gdbs[0]
    candidates = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in {**VECTOR_SUFFIXES, **RASTER_SUFFIXES}
        and not p.name.startswith(".")
        and "__MACOSX" not in p.parts
    )
    shps = [p for p in candidates if p.suffix.lower() == ".shp"]
    pool = shps or candidates
    if layer:
        chosen = [p for p in pool if p.stem == layer or p.name == layer]
        if chosen:
            return chosen[0]
        if len(pool) == 1 and pool[0].suffix.lower() == ".gpkg":
            return pool[0]
        raise LoadError(
            f"'{layer}' nicht gefunden. Enthalten: {', '.join(p.name for p in pool) or 'nichts'}."
        )
    if not pool:
        if any(p.suffix.lower() in {".dbf", ".shx"} for p in folder.rglob("*")):
            raise LoadError("Die .shp-Datei des Shapefiles fehlt.")
        raise LoadError(f"Keine lesbaren Geodaten gefunden. Möglich: {SUPPORTED}.")
    if len(pool) > 1:
        raise LoadError(
            "Mehrere Datensätze gefunden, bitte einen wählen (source.layer): "
            + ", ".join(p.stem for p in pool)
        )
    return pool[0]


def resolve(path: Path, layer: str | None, workdir: Path) -> ResolvedSource:
    """Resolve ``path`` to one readable file; zips are unpacked safely into ``workdir``."""
    if not path.exists():
        raise LoadError(f"Quelle nicht gefunden: {path}")
    if path.is_dir() and path.suffix.lower() == ".gdb":
        return ResolvedSource(
            path, "filegdb", tuple(sorted(p for p in path.rglob("*") if p.is_file()))
        )
    if path.is_file() and path.suffix.lower() == ".zip":
        path = unpack_zip(path, workdir)
    target = _pick_in_folder(path, layer) if path.is_dir() else path
    fmt = detect_format(target)
    if fmt == "shapefile":
        return ResolvedSource(target, fmt, _shapefile_members(target))
    if fmt == "filegdb":
        return ResolvedSource(
            target, fmt, tuple(sorted(p for p in target.rglob("*") if p.is_file()))
        )
    return ResolvedSource(target, fmt, (target,))


def unpack_zip(archive: Path, workdir: Path) -> Path:
    """Extract a zip into ``workdir`` refusing links, absolute or escaping paths and bombs."""
    target = workdir / ("zip-" + hashlib.sha1(str(archive).encode()).hexdigest()[:8])
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_members(infos)
            for info in infos:
                if not info.is_dir():
                    _extract_member(zf, info, target)
    except zipfile.BadZipFile:
        raise LoadError(f"{archive.name} ist kein lesbares ZIP-Archiv.") from None
    if not infos:
        raise LoadError(f"{archive.name} ist leer.")
    return target


def _check_members(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise LoadError(f"Das Archiv enthält zu viele Dateien ({len(infos)}).")
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise LoadError("Das Archiv ist entpackt zu groß.")
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts:
            raise LoadError(f"Unzulässiger Pfad im Archiv: {info.filename}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise LoadError(f"Verknüpfungen im Archiv sind nicht erlaubt: {info.filename}")


def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    dest = (target / info.filename.replace("\\", "/")).resolve()
    if not dest.is_relative_to(target.resolve()):
        raise LoadError(f"Unzulässiger Pfad im Archiv: {info.filename}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as src, dest.open("wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)


def guess_kind(path: Path) -> str:
    """'raster' for GeoTIFF/HGT files (also inside a zip), else 'vector'."""
    suffix = path.suffix.lower()
    if suffix in RASTER_SUFFIXES:
        return "raster"
    if suffix == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            suffixes = {PurePosixPath(n).suffix.lower() for n in zf.namelist()}
        if suffixes & set(RASTER_SUFFIXES) and not suffixes & set(VECTOR_SUFFIXES):
            return "raster"
    return "vector"


def checksum(paths: tuple[Path, ...]) -> str:
    """SHA-256 over the files of a source (sorted by name)."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name.lower()):
        digest.update(path.name.lower().encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
    return digest.hexdigest()


WORKDIR_PREFIX = "bg-load-"
#: Work folders of an unknown owner older than this are left over from a crash.
STALE_AFTER_S = 24 * 3600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_workdirs(base: Path) -> list[Path]:
    """Remove work folders whose loading process is gone (a killed import leaves one behind).

    A folder is named ``bg-load-<pid>-<random>``; it is left over when that process no longer
    runs. Folders without a pid (older versions) count as left over after a day.
    """
    removed = []
    for path in base.glob(WORKDIR_PREFIX + "*"):
        owner = path.name.removeprefix(WORKDIR_PREFIX).split("-", 1)[0]
        if owner.isdigit():
            stale = not _alive(int(owner))
        else:
            stale = time.time() - path.stat().st_mtime > STALE_AFTER_S
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def workdir(base: Path | None = None) -> Iterator[Path]:
    """A temporary directory that is always removed; left-overs of killed loads go first."""
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
        sweep_workdirs(base)
    path = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
