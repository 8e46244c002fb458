"""„Meine Uploads“: the pending (not yet published) uploads of a staff member, with expiry.

An upload stays until it is published, replaced into a layer or discarded — or until
``upload_keep_hours`` after its last change, when ``cleanup_stale`` removes it (on every new
upload and by ``buergergis layers purge``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buergergis.admin.uploads import Upload, open_upload, uploads_root
from buergergis.errors import BuergerGISError
from buergergis.settings import Settings


@dataclass(frozen=True)
class PendingUpload:
    """A pending upload and when it will be removed."""

    upload: Upload
    changed_at: datetime
    expires_at: datetime


def pending_uploads(settings: Settings, user: str, *, is_admin: bool) -> list[PendingUpload]:
    """Uploads ``user`` may open (admins: all), newest first; busy or broken ones are left out."""
    keep = timedelta(hours=settings.upload_keep_hours)
    found = []
    for folder in uploads_root(settings).iterdir():
        with contextlib.suppress(BuergerGISError, OSError):
            upload = open_upload(settings, folder.name, user, is_admin=is_admin)
            changed = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
            found.append(PendingUpload(upload, changed, changed + keep))
    return sorted(found, key=lambda p: p.changed_at, reverse=True)
