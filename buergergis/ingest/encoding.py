"""Text encoding of Shapefiles and CSV: ``.cpg``, the DBF code page byte, then detection.

Detection prefers UTF-8 when the bytes decode as UTF-8 and falls back to cp1252, the
encoding of German Windows software, so that "Bad Münder" never becomes "Bad MÃ¼nder".
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

#: DBF language driver ids (byte 29) → Python codec, as in GDAL's table (ogr/ogrsf_frmts/shape).
LDID_CODECS: dict[int, str] = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x04: "mac_roman",
    0x08: "cp865",
    0x09: "cp437",
    0x0A: "cp850",
    0x0B: "cp437",
    0x0D: "cp437",
    0x0E: "cp850",
    0x0F: "cp437",
    0x10: "cp850",
    0x11: "cp437",
    0x12: "cp850",
    0x13: "cp932",
    0x14: "cp850",
    0x15: "cp437",
    0x16: "cp850",
    0x17: "cp865",
    0x18: "cp437",
    0x19: "cp437",
    0x1A: "cp850",
    0x1B: "cp437",
    0x1C: "cp863",
    0x1D: "cp850",
    0x1F: "cp852",
    0x22: "cp852",
    0x23: "cp852",
    0x24: "cp860",
    0x25: "cp850",
    0x26: "cp866",
    0x37: "cp850",
    0x40: "cp852",
    0x4D: "cp936",
    0x4E: "cp949",
    0x4F: "cp950",
    0x50: "cp874",
    0x57: "cp1252",
    0x58: "cp1252",
    0x59: "cp1252",
    0x64: "cp852",
    0x65: "cp866",
    0x66: "cp865",
    0x67: "cp861",
    0x6A: "cp737",
    0x6B: "cp857",
    0x6C: "cp863",
    0x78: "cp950",
    0x79: "cp949",
    0x7A: "cp936",
    0x7B: "cp932",
    0x7C: "cp874",
    0x7D: "cp1255",
    0x7E: "cp1256",
    0x86: "cp737",
    0x87: "cp852",
    0x88: "cp857",
    0xC8: "cp1250",
    0xC9: "cp1251",
    0xCA: "cp1254",
    0xCB: "cp1253",
    0xCC: "cp1257",
}


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding to read with and where it came from (cpg, dbf, detected, override)."""

    codec: str
    source: str


def normalise_codec(label: str) -> str | None:
    """Map a ``.cpg`` label ('UTF-8', 'ANSI 1250', '1252', 'ISO 8859-1') to a Python codec."""
    text = label.strip().strip("\ufeff").lower()
    if not text or len(text) > 40 or "<" in text:
        return None
    ansi = re.fullmatch(r"(?:ansi|windows|cp)?[\s_-]*(125[0-8]|874|93[26]|949|950)", text)
    if ansi:
        return f"cp{ansi.group(1)}"
    iso = re.fullmatch(r"(?:iso|8859)[\s_-]*(?:8859[\s_-]*)?(\d{1,2})", text)
    if iso:
        text = f"iso8859-{iso.group(1)}"
    if text.isdigit():
        text = f"cp{text}"
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None


def find_sidecar(shp: Path, suffix: str) -> Path | None:
    """A sidecar file (``.cpg``, ``.prj``, ``.dbf``) matched case-insensitively on name and suffix."""
    wanted = (shp.stem + suffix).lower()
    for candidate in shp.parent.iterdir():
        if candidate.name.lower() == wanted:
            return candidate
    return None


def dbf_codepage(dbf: Path) -> str | None:
    """The codec named by the DBF language driver byte, if any."""
    with dbf.open("rb") as handle:
        header = handle.read(32)
    if len(header) < 32:
        return None
    return LDID_CODECS.get(header[29])


def detect_bytes(data: bytes) -> str:
    """UTF-8 if the bytes decode as UTF-8, else cp1252 (German Windows)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def dbf_records(dbf: Path, limit: int = 4_000_000) -> bytes:
    """Raw record bytes of a DBF (header skipped), at most ``limit`` bytes."""
    with dbf.open("rb") as handle:
        header = handle.read(32)
        if len(header) < 32:
            return b""
        header_len = int.from_bytes(header[8:10], "little")
        handle.seek(header_len)
        return handle.read(limit)


def shapefile_encoding(shp: Path, override: str | None = None) -> tuple[EncodingGuess, list[str]]:
    """Decide the encoding of a Shapefile's DBF: override, ``.cpg``, code page byte, detection."""
    notes: list[str] = []
    if override:
        codec = normalise_codec(override)
        if codec is None:
            raise ValueError(f"unbekannte Zeichenkodierung: {override}")
        return EncodingGuess(codec, "vorgegeben"), notes
    cpg = find_sidecar(shp, ".cpg")
    if cpg is not None:
        label = cpg.read_bytes()[:200].decode("ascii", errors="replace")
        codec = normalise_codec(label)
        if codec:
            return EncodingGuess(codec, f".cpg ({label.strip()})"), notes
        notes.append(f"{cpg.name} ist unbrauchbar und wurde ignoriert")
    dbf = find_sidecar(shp, ".dbf")
    if dbf is None:
        return EncodingGuess("utf-8", "keine DBF"), notes
    ldid = dbf_codepage(dbf)
    if ldid:
        return EncodingGuess(ldid, "DBF-Codepage"), notes
    return EncodingGuess(detect_bytes(dbf_records(dbf)), "erkannt"), notes


def text_file_encoding(path: Path, override: str | None = None) -> EncodingGuess:
    """Encoding of a CSV or other text file (BOM, then UTF-8 vs cp1252 detection)."""
    if override:
        codec = normalise_codec(override)
        if codec is None:
            raise ValueError(f"unbekannte Zeichenkodierung: {override}")
        return EncodingGuess(codec, "vorgegeben")
    with path.open("rb") as handle:
        data = handle.read(8_000_000)
    if data.startswith(codecs.BOM_UTF8):
        return EncodingGuess("utf-8-sig", "BOM")
    return EncodingGuess(detect_bytes(data), "erkannt")
