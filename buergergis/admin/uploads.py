"""Uploads: save, check and unpack into ``var/uploads/<uuid>/``; find the datasets; clean up.

Uploads are stricter than the CLI loader. Every limit is checked on the archive's directory
*before* anything is extracted (size, compression ratio, member count, nested archives,
links and special files, paths escaping the archive, encryption), and again while extracting
(real byte counts). Shapefiles need their .shp, .shx and .dbf. Nothing is ever written
outside the upload's own folder, and a refused upload leaves no folder behind.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from buergergis.errors import Conflict, InvalidParameter, LoadError, NotFound, PayloadTooLarge
from buergergis.settings import Settings

MiB = 1024 * 1024
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
#: Accepted upload files and what they are.
ACCEPTED = {
    ".zip": "zip",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".csv": "csv",
    ".tif": "gtiff",
    ".tiff": "gtiff",
}
ACCEPTED_TEXT = (
    "ZIP mit Shapefile (.shp, .shx, .dbf, .prj, .cpg), GeoPackage, GeoJSON, CSV oder GeoTIFF "
    "(auch als ZIP mit .tfw und .prj)"
)
RASTER_PARTS = (".tif", ".tiff", ".tfw", ".tifw", ".prj", ".aux.xml")
SHAPE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Members that are extracted from a zip; everything else is listed as ignored.
WANTED = {*SHAPE_PARTS, ".gpkg", ".geojson", ".json", ".csv", ".tif", ".tiff", ".tfw", ".tifw"}
NESTED = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".zst", ".kmz", ".jar")
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_S_IFMT, _S_IFREG, _S_IFDIR = 0o170000, 0o100000, 0o040000
BUSY = "upload.busy.json"
BUSY_MESSAGE = "Dieser Upload wird gerade veröffentlicht. Bitte einen Moment warten."


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may be: bytes, unpacked bytes, members and compression ratio."""

    max_bytes: int
    max_unpacked_bytes: int
    max_members: int = 200
    max_ratio: float = 200.0
    ratio_min_bytes: int = MiB

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        """Limits from ``upload_max_mb``: archives may unpack to five times that size."""
        return cls(settings.upload_max_mb * MiB, settings.upload_max_mb * 5 * MiB)


@dataclass(frozen=True)
class Dataset:
    """One layer that can be previewed and published from an upload."""

    key: str
    label: str
    format: str
    path: str
    layer: str | None = None
    geometry_type: str | None = None
    features: int | None = None


@dataclass(frozen=True)
class Upload:
    """A staged upload: its folder, who uploaded what, and the datasets found in it."""

    id: str
    folder: Path
    filename: str
    owner: str
    created: float
    size: int
    datasets: tuple[Dataset, ...]
    ignored: tuple[str, ...] = field(default=())

    def dataset(self, key: str | None) -> Dataset:
        """The chosen dataset; with only one, it is chosen automatically."""
        if not key and len(self.datasets) == 1:
            return self.datasets[0]
        for dataset in self.datasets:
            if dataset.key == key:
                return dataset
        raise InvalidParameter(
            "Bitte einen Datensatz wählen: " + ", ".join(d.label for d in self.datasets)
        )

    def path(self, dataset: Dataset) -> Path:
        """Absolute path of a dataset's file inside the upload folder."""
        return self.folder / "files" / dataset.path

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API (no server paths)."""
        return {
            "id": self.id,
            "filename": self.filename,
            "owner": self.owner,
            "size": self.size,
            "datasets": [
                {k: v for k, v in asdict(d).items() if k != "path"} for d in self.datasets
            ],
            "ignored": list(self.ignored),
        }


def uploads_root(settings: Settings) -> Path:
    """``<shared>/uploads`` (created on demand)."""
    root = settings.shared / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    return root


def display_name(filename: str | None) -> str:
    """The file name as shown to people: base name only, no control characters, bounded."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD_CHARS.sub("", name).strip()
    return name[:200] or "upload"


def stage(settings: Settings, stream: IO[bytes], filename: str | None, owner: str) -> Upload:
    """Save, check and unpack one upload; on any refusal its folder is removed again."""
    cleanup_stale(settings)
    name = display_name(filename)
    suffix = PurePosixPath(name.lower()).suffix
    kind = ACCEPTED.get(suffix)
    if kind is None:
        raise InvalidParameter(
            f"Dateiformat '{suffix or name}' wird nicht angenommen. Möglich: {ACCEPTED_TEXT}. "
            "Shapefiles bitte als ZIP hochladen."
        )
    limits = UploadLimits.from_settings(settings)
    upload_id = uuid.uuid4().hex
    folder = uploads_root(settings) / upload_id
    folder.mkdir()
    try:
        return _stage_into(folder, stream, name, kind, suffix, owner, limits)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _stage_into(
    folder: Path,
    stream: IO[bytes],
    name: str,
    kind: str,
    suffix: str,
    owner: str,
    limits: UploadLimits,
) -> Upload:
    files = folder / "files"
    files.mkdir()
    raw = folder / f"original{suffix}"
    size = _save(stream, raw, limits.max_bytes)
    ignored: list[str] = []
    if kind == "zip":
        ignored = extract_zip(raw, files, limits)
        raw.unlink()
    else:
        raw.rename(files / f"daten{suffix}")
    try:
        datasets = find_datasets(files)
    except InvalidParameter:
        if any(".gdb/" in name.lower() for name in ignored):
            raise InvalidParameter(
                "Esri-FileGDB wird nicht unterstützt. Bitte als GeoPackage oder Shapefile "
                "exportieren."
            ) from None
        raise
    upload = Upload(folder.name, folder, name, owner, time.time(), size, datasets, tuple(ignored))
    manifest = asdict(upload) | {"folder": None}
    (folder / "upload.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return upload


def _save(stream: IO[bytes], target: Path, limit: int) -> int:
    size = 0
    with target.open("xb") as out:
        while block := stream.read(MiB):
            size += len(block)
            if size > limit:
                raise PayloadTooLarge(
                    f"Die Datei ist zu groß (höchstens {limit // MiB} MB erlaubt)."
                )
            out.write(block)
    if size == 0:
        raise InvalidParameter("Die Datei ist leer.")
    return size


def extract_zip(archive: Path, target: Path, limits: UploadLimits) -> list[str]:
    """Check every member first, then extract the wanted ones; returns the ignored names."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            check_members(infos, limits)
            wanted, ignored = _select(infos)
            budget = [limits.max_unpacked_bytes]
            for info in wanted:
                _extract(zf, info, target, budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise InvalidParameter(f"Das ZIP-Archiv ist nicht lesbar ({_short(exc)}).") from None
    if not infos:
        raise InvalidParameter("Das ZIP-Archiv ist leer.")
    return ignored


def _short(exc: BaseException) -> str:
    return str(exc)[:120] or type(exc).__name__


def check_members(infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    """Refuse an archive by its directory alone (nothing has been extracted yet)."""
    if len(infos) > limits.max_members:
        raise InvalidParameter(
            f"Das Archiv enthält zu viele Dateien ({len(infos)}, höchstens {limits.max_members})."
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise InvalidParameter(
            f"Das Archiv ist entpackt zu groß ({total // MiB} MB, höchstens "
            f"{limits.max_unpacked_bytes // MiB} MB)."
        )
    packed = sum(i.compress_size for i in infos)
    if total >= limits.ratio_min_bytes and total > limits.max_ratio * max(packed, 1):
        raise InvalidParameter("Das Archiv ist verdächtig stark komprimiert (ZIP-Bombe?).")
    for info in infos:
        check_member(info, limits)


def check_member(info: zipfile.ZipInfo, limits: UploadLimits) -> None:
    """One member: a harmless relative path to a regular file, not encrypted, not a bomb."""
    name = info.filename
    shown = _BAD_CHARS.sub("?", name)[:120]
    path = PurePosixPath(name.replace("\\", "/"))
    if _BAD_CHARS.search(name) or path.is_absolute() or ".." in path.parts or ":" in name:
        raise InvalidParameter(f"Unzulässiger Pfad im Archiv: {shown}")
    mode = (info.external_attr >> 16) & _S_IFMT
    if mode and mode not in (_S_IFREG, _S_IFDIR):
        raise InvalidParameter(f"Verknüpfungen und Sonderdateien sind nicht erlaubt: {shown}")
    if info.flag_bits & 0x1:
        raise InvalidParameter(f"Verschlüsselte Dateien werden nicht angenommen: {shown}")
    if info.is_dir():
        return
    if path.name.lower().endswith(NESTED):
        raise InvalidParameter(f"Archive im Archiv werden nicht angenommen: {shown}")
    if info.file_size >= limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        raise InvalidParameter(f"{shown} ist verdächtig stark komprimiert (ZIP-Bombe?).")


def _select(infos: list[zipfile.ZipInfo]) -> tuple[list[zipfile.ZipInfo], list[str]]:
    wanted, ignored = [], []
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir():
            continue
        if "__MACOSX" in path.parts or path.name.startswith("."):
            continue
        if path.suffix.lower() in WANTED:
            wanted.append(info)
        else:
            ignored.append(str(path))
    return wanted, ignored


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: list[int]) -> None:
    relative = PurePosixPath(info.filename.replace("\\", "/"))
    dest = (target / relative).resolve()
    if not dest.is_relative_to(target.resolve()):
        raise InvalidParameter(f"Unzulässiger Pfad im Archiv: {info.filename[:120]}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        out = dest.open("xb")
    except FileExistsError:
        raise InvalidParameter(f"Doppelte Datei im Archiv: {relative}") from None
    with out, zf.open(info) as src:
        written = 0
        while block := src.read(MiB):
            written += len(block)
            budget[0] -= len(block)
            if written > info.file_size or budget[0] < 0:
                raise InvalidParameter("Das Archiv ist entpackt zu groß (ZIP-Bombe?).")
            out.write(block)


def find_datasets(files: Path) -> tuple[Dataset, ...]:
    """Every publishable dataset below ``files``; refuses broken Shapefiles and empty uploads."""
    found: list[Dataset] = []
    paths = sorted(p for p in files.rglob("*") if p.is_file())
    for path in paths:
        suffix = path.suffix.lower()
        relative = path.relative_to(files).as_posix()
        if suffix == ".shp":
            _require_parts(path)
            found.append(_ogr_dataset(len(found), path, relative, "shapefile", None))
        elif suffix == ".gpkg":
            found += _gpkg_datasets(len(found), path, relative)
        elif suffix in (".geojson", ".json"):
            found.append(_ogr_dataset(len(found), path, relative, "geojson", None))
        elif suffix == ".csv":
            found.append(Dataset(str(len(found)), relative, "csv", relative))
        elif suffix in (".tif", ".tiff"):
            found.append(Dataset(str(len(found)), f"{relative} (Raster)", "gtiff", relative))
    if not found:
        if any(p.suffix.lower() in (".dbf", ".shx") for p in paths):
            raise InvalidParameter("Die .shp-Datei des Shapefiles fehlt.")
        raise InvalidParameter(f"Keine lesbaren Geodaten gefunden. Möglich: {ACCEPTED_TEXT}.")
    return tuple(found)


def _require_parts(shp: Path) -> None:
    stem = shp.stem.lower()
    have = {p.suffix.lower() for p in shp.parent.iterdir() if p.stem.lower() == stem}
    missing = [s for s in (".shx", ".dbf") if s not in have]
    if missing:
        raise InvalidParameter(
            f"Zum Shapefile {shp.name} fehlt: {', '.join(missing)}. "
            "Bitte .shp, .shx und .dbf (und .prj, .cpg) zusammen hochladen."
        )


def _ogr_info(path: Path, layer: str | None) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(pyogrio.read_info(path, layer=layer))
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise LoadError(f"{path.name} ist nicht lesbar: {_short(exc)}") from None


def _ogr_dataset(index: int, path: Path, relative: str, fmt: str, layer: str | None) -> Dataset:
    info = _ogr_info(path, layer)
    label = f"{relative} – Layer {layer}" if layer else relative
    return Dataset(
        str(index), label, fmt, relative, layer, info.get("geometry_type"), info.get("features")
    )


def _gpkg_datasets(start: int, path: Path, relative: str) -> list[Dataset]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [(str(n), g) for n, g in pyogrio.list_layers(path) if g]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise LoadError(f"{path.name} ist kein lesbares GeoPackage: {_short(exc)}") from None
    return [
        _ogr_dataset(start + i, path, relative, "gpkg", name) for i, (name, _) in enumerate(layers)
    ]


def open_upload(settings: Settings, upload_id: str, user: str, *, is_admin: bool) -> Upload:
    """A staged upload of ``user`` (admins see all); unknown or foreign ids are 404."""
    missing = NotFound("Dieser Upload ist nicht (mehr) vorhanden. Bitte erneut hochladen.")
    if not UPLOAD_ID.match(upload_id or ""):
        raise missing
    manifest = uploads_root(settings) / upload_id / "upload.json"
    try:
        data = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError):
        if manifest.with_name(BUSY).exists():
            raise Conflict(BUSY_MESSAGE) from None
        raise missing from None
    if data["owner"] != user and not is_admin:
        raise missing
    data["folder"] = manifest.parent
    data["datasets"] = tuple(Dataset(**d) for d in data["datasets"])
    data["ignored"] = tuple(data.get("ignored", ()))
    return Upload(**data)


@contextlib.contextmanager
def claimed(upload: Upload) -> Iterator[None]:
    """Process an upload at most once at a time (a double-clicked publish gets a 409)."""
    manifest, busy = upload.folder / "upload.json", upload.folder / BUSY
    try:
        manifest.rename(busy)
    except FileNotFoundError:
        raise Conflict(BUSY_MESSAGE) from None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            busy.rename(manifest)


def discard(upload: Upload) -> None:
    """Remove an upload's folder."""
    shutil.rmtree(upload.folder, ignore_errors=True)


def cleanup_stale(settings: Settings, max_age: float | None = None) -> int:
    """Remove upload folders older than ``max_age`` seconds (default: ``upload_keep_hours``)."""
    max_age = settings.upload_keep_hours * 3600 if max_age is None else max_age
    removed = 0
    now = time.time()
    for folder in uploads_root(settings).iterdir():
        with contextlib.suppress(OSError):
            if folder.is_dir() and now - folder.stat().st_mtime > max_age:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed
