"""Shared helpers and fixtures of the staff-area tests (``tests/test_admin_*.py``)."""

from __future__ import annotations

import io
import json
import re
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.admin import auth
from buergergis.store import users

PASSWORD = "richtig-geheim-123"
ENCODING_DIR = ("official", "encoding")


@dataclass(frozen=True)
class Staff:
    """A test account with its session id and API token."""

    name: str
    role: str
    session_id: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        """The Authorization header of this account."""
        return {"Authorization": f"Bearer {self.token}"}


def make_staff(engine: Engine, role: str, prefix: str = "t") -> Staff:
    """A fresh account of ``role`` with a token."""
    name = f"{prefix}-{role}-{secrets.token_hex(3)}"
    auth.add_account(engine, name, PASSWORD, role, actor="tests")
    token = auth.create_api_token(engine, name, actor="tests")
    with engine.connect() as conn:
        account = users.credentials(conn, name)
    assert account is not None
    return Staff(name, role, auth.StaffUser(account[0]).get_id(), token)


@pytest.fixture(scope="session")
def editor(engine: Engine) -> Staff:
    """An editor account."""
    return make_staff(engine, "editor")


@pytest.fixture(scope="session")
def admin(engine: Engine) -> Staff:
    """An admin account."""
    return make_staff(engine, "admin")


def login_session(client: FlaskClient, staff: Staff) -> FlaskClient:
    """Log ``client`` in as ``staff`` by writing the Flask-Login session (no rate limit).

    Each call opens a new server-side session, so idle timeouts never hit long test runs.
    """
    engine = client.application.extensions["buergergis"].engine
    with engine.connect() as conn:
        found = users.credentials(conn, staff.name)
    assert found is not None
    user = auth.start_session(engine, auth.StaffUser(found[0]))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session.permanent = True
    return client


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    """The CSRF token from a page's form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login_form(client: FlaskClient, name: str, password: str = PASSWORD) -> Any:
    """Log in through the real form (CSRF token included)."""
    token = csrf_token(client)
    return client.post(
        "/admin/login", data={"name": name, "password": password, "csrf_token": token}
    )


def zip_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip archive with the given (name, content) members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def zip_files(paths: Iterable[Path], folder: str = "") -> bytes:
    """A zip of files (optionally inside ``folder``)."""
    return zip_bytes((folder + p.name, p.read_bytes()) for p in paths)


def shapefile_zip(shared: Path, stem: str, *parts: str, folder: str = "") -> bytes:
    """The members of a Shapefile ``stem`` below ``shared`` as a zip."""
    base = shared.joinpath(*parts) if parts else shared
    return zip_files(sorted(base.glob(f"{stem}.*")), folder)


def upload(client: FlaskClient, staff: Staff, data: bytes, filename: str) -> Any:
    """``POST /admin/api/uploads`` with the file in ``file``."""
    return client.post(
        "/admin/api/uploads",
        headers=staff.bearer,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def publish(client: FlaskClient, staff: Staff, upload_id: str, layer_id: str, **extra: Any) -> Any:
    """``POST /admin/api/uploads/<id>/publish``."""
    body = {"id": layer_id, "title": extra.pop("title", layer_id), **extra}
    return client.post(f"/admin/api/uploads/{upload_id}/publish", headers=staff.bearer, json=body)


def upload_and_publish(
    client: FlaskClient, staff: Staff, data: bytes, filename: str, layer_id: str, **extra: Any
) -> dict[str, Any]:
    """Upload and publish in one go; asserts success and returns the publish response."""
    response = upload(client, staff, data, filename)
    assert response.status_code == 201, response.get_json()
    result = publish(client, staff, response.get_json()["id"], layer_id, **extra)
    assert result.status_code == 201, result.get_json()
    body: dict[str, Any] = result.get_json()
    return body


def replace(client: FlaskClient, staff: Staff, data: bytes, filename: str, layer_id: str) -> Any:
    """Upload and replace the data of ``layer_id``."""
    response = upload(client, staff, data, filename)
    assert response.status_code == 201, response.get_json()
    return client.post(
        f"/admin/api/uploads/{response.get_json()['id']}/replace",
        headers=staff.bearer,
        json={"layer": layer_id},
    )


def geojson_bytes(features: list[dict[str, Any]]) -> bytes:
    """A GeoJSON FeatureCollection (WGS84)."""
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def point(lon: float, lat: float, **props: Any) -> dict[str, Any]:
    """A GeoJSON point feature."""
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }
