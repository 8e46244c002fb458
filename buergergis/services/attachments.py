"""Application attachments: one PDF per Bewerbung, checked and stored outside the web root.

Files live under ``<shared>/anfragen/<request id>/<random>.pdf`` (the shared directory, so every app host reads them) (directory 0700, file 0600),
never under ``static/``; only the staff page of the service's role reads them back.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from buergergis.errors import InvalidParameter, NotFound

FOLDER = "anfragen"
MAGIC = b"%PDF-"
EOF_MARK = b"%%EOF"


def check_pdf(data: bytes, max_mb: int) -> bytes:
    """The bytes when they are a PDF of at most ``max_mb`` MB; a German 400 otherwise."""
    if not data:
        raise InvalidParameter(
            "Bitte laden Sie Ihre Bewerbung als PDF-Datei hoch.",
            description_en="Please upload your application as a PDF file.",
        )
    if len(data) > max_mb * 1024 * 1024:
        raise InvalidParameter(
            f"Die Datei ist größer als {max_mb} MB. Bitte verkleinern.",
            description_en=f"The file is larger than {max_mb} MB. Please make it smaller.",
        )
    if not data.startswith(MAGIC) or EOF_MARK not in data[-2048:]:
        raise InvalidParameter(
            "Die Datei ist keine PDF-Datei. Bitte laden Sie ein PDF hoch.",
            description_en="The file is not a PDF file. Please upload a PDF.",
        )
    return data


def safe_name(filename: str | None) -> str:
    """A display name for the uploaded file (never used as a path)."""
    base = os.path.basename((filename or "").replace("\\", "/")).strip() or "bewerbung.pdf"
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>')[:120]
    return cleaned if cleaned.lower().endswith(".pdf") else cleaned + ".pdf"


def store(var_dir: Path, request_id: int, data: bytes) -> str:
    """Write the file; returns its path relative to ``var_dir``."""
    folder = var_dir / FOLDER / str(request_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(var_dir / FOLDER, 0o700)
    path = folder / f"{secrets.token_hex(12)}.pdf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return str(path.relative_to(var_dir))


def _resolve(var_dir: Path, relative: str) -> Path:
    root = (var_dir / FOLDER).resolve()
    path = (var_dir / relative).resolve()
    if root not in path.parents:
        raise NotFound("Diese Datei gibt es nicht.")
    return path


def read(var_dir: Path, relative: str) -> bytes:
    """The stored bytes (404 when gone)."""
    path = _resolve(var_dir, relative)
    if not path.is_file():
        raise NotFound("Diese Datei gibt es nicht (mehr).")
    return path.read_bytes()


def remove(var_dir: Path, relative: str | None) -> bool:
    """Delete a stored attachment and its folder; ``True`` when something was deleted."""
    if not relative:
        return False
    path = _resolve(var_dir, relative)
    if not path.parent.exists():
        return False
    shutil.rmtree(path.parent, ignore_errors=True)
    return True
