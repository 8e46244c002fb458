"""API tokens in the staff area: created (shown once), listed with last use, revoked."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.store import audit
from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    admin,
    csrf_token,
    login_session,
    make_staff,
)


def _create(client: FlaskClient, label: str) -> str:
    response = client.post(
        "/admin/tokens", data={"csrf_token": csrf_token(client, "/admin/tokens"), "label": label}
    )
    assert response.status_code == 201
    match = re.search(r'value="(bg_[^"]+)"', response.get_data(as_text=True))
    assert match, "the new token is shown once"
    return match.group(1)


def test_create_use_list_and_revoke_a_token(client: FlaskClient, engine: Engine) -> None:
    staff = make_staff(engine, "editor", prefix="tok")
    login_session(client, staff)
    token = _create(client, "Nachtlauf Gemeinden")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/admin/api/me", headers=bearer).get_json()["name"] == staff.name
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert token not in page  # shown only right after creating it
    ids = re.findall(r'<tr data-token="(\d+)">\s*<td>Nachtlauf Gemeinden</td>', page)
    assert len(ids) == 1
    token_id = ids[0]
    listed = page[page.index(f'data-token="{token_id}"') :].split("</tr>")[0]
    assert "nie" not in listed and "gültig" in listed  # last used: just now
    response = client.post(
        f"/admin/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(client, "/admin/tokens")},
    )
    assert response.status_code == 302
    assert client.get("/admin/api/me", headers=bearer).status_code == 401
    assert "widerrufen" in client.get("/admin/tokens").get_data(as_text=True)
    with engine.connect() as conn:
        actions = [e.action for e in audit.entries(conn, limit=20) if e.actor == staff.name]
    assert actions[:2] == ["token_revoke", "token_create"]


def test_editors_see_and_revoke_only_their_own_tokens(
    client: FlaskClient, engine: Engine, admin: Staff
) -> None:
    owner = make_staff(engine, "editor", prefix="own")
    other = make_staff(engine, "editor", prefix="oth")
    login_session(client, owner)
    _create(client, "gehört owner")
    token_id = re.findall(
        r'data-token="(\d+)"', client.get("/admin/tokens").get_data(as_text=True)
    )[0]
    login_session(client, other)
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert "gehört owner" not in page
    refused = client.post(
        f"/admin/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(client, "/admin/tokens")},
    )
    assert refused.status_code == 404
    login_session(client, admin)
    assert "gehört owner" in client.get("/admin/tokens").get_data(as_text=True)
    done = client.post(
        f"/admin/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(client, "/admin/tokens")},
    )
    assert done.status_code == 302


def test_empty_label_is_refused(client: FlaskClient, engine: Engine) -> None:
    login_session(client, make_staff(engine, "editor", prefix="leer"))
    response = client.post(
        "/admin/tokens", data={"csrf_token": csrf_token(client, "/admin/tokens"), "label": ""}
    )
    assert response.status_code == 400
    assert "Bezeichnung" in response.get_data(as_text=True)
