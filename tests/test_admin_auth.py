"""Staff accounts and access: CLI, login, sessions, cookies, CSRF, rate limit, roles, tokens."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.routing import IntegerConverter

from buergergis import create_app
from buergergis.admin import auth
from buergergis.admin.blueprint import PUBLIC_ENDPOINTS, required_role
from buergergis.cli import cli
from buergergis.errors import InvalidParameter
from buergergis.settings import Settings
from buergergis.store import audit, users
from tests.admin_support import (  # noqa: F401 - fixtures
    PASSWORD,
    Staff,
    admin,
    csrf_token,
    editor,
    login_form,
    login_session,
    make_staff,
)

ARGS = {"upload_id": uuid.uuid4().hex, "layer_id": "gibt-es-nicht", "name": "niemand"}
ADMIN_ONLY = {
    "admin.audit_view",
    "admin.accounts",
    "admin.account_change",
    "admin.api_audit",
    "admin.api_accounts",
}


def admin_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route below /admin (also other areas' staff pages)."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin"):
                continue
            values = {
                k: 1 if isinstance(rule._converters[k], IntegerConverter) else ARGS.get(k, "x")
                for k in rule.arguments
            }
            url = rule.build(values)[1]
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, url))
    return routes


def call(client: FlaskClient, method: str, url: str, **kwargs: Any) -> Any:
    return client.open(url, method=method, **kwargs)


def cli_run(settings: Settings, args: list[str], **env: str | None) -> Any:
    environment = {"DATABASE_URL": settings.database_url, "BUERGERGIS_PASSWORD": None, **env}
    return CliRunner().invoke(cli, args, env=environment, catch_exceptions=False)


def test_every_route_refuses_anonymous(app: Flask, client: FlaskClient) -> None:
    routes = admin_routes(app)
    assert len(routes) >= 25
    wrong = []
    for endpoint, method, url in routes:
        response = call(client, method, url)
        if url.startswith("/admin/api/"):
            ok = response.status_code == 401 and response.get_json()["code"] == "Unauthorized"
            ok = ok and response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        elif endpoint in PUBLIC_ENDPOINTS:
            ok = response.status_code in (200, 400)
        else:
            location = response.headers.get("Location", "")
            ok = response.status_code == 302 and location.startswith("/admin/login")
        if not ok:
            wrong.append((method, url, response.status_code))
    assert not wrong


def test_every_admin_route_refuses_editors(app: Flask, client: FlaskClient, editor: Staff) -> None:
    admin_only = {
        r for r in admin_routes(app) if required_role(app.view_functions[r[0]]) == "admin"
    }
    assert {r[0] for r in admin_only} == ADMIN_ONLY
    login_session(client, editor)
    wrong = []
    for _, method, url in admin_only:
        api = url.startswith("/admin/api/")
        response = call(client, method, url, headers=editor.bearer if api else {})
        if response.status_code != 403 or "vorbehalten" not in response.get_data(as_text=True):
            wrong.append((method, url, response.status_code))
    assert not wrong


def test_admin_can_use_admin_routes(client: FlaskClient, admin: Staff) -> None:
    assert client.get("/admin/api/audit", headers=admin.bearer).status_code == 200
    assert login_session(client, admin).get("/admin/accounts").status_code == 200


def test_every_page_post_needs_csrf_token(app: Flask, client: FlaskClient, admin: Staff) -> None:
    posts = [r for r in admin_routes(app) if r[1] == "POST" and not r[2].startswith("/admin/api")]
    assert len(posts) >= 8
    login_session(client, admin)
    wrong = []
    for _, _, url in posts:
        response = client.post(url, data={"name": admin.name, "version": "1"})
        text = response.get_data(as_text=True)
        if response.status_code != 400 or "CSRF-Schutz" not in text:
            wrong.append((url, response.status_code))
    assert not wrong


def test_session_cookie_flags_and_login(client: FlaskClient, editor: Staff) -> None:
    response = login_form(client, editor.name)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # public_url is http in tests
    page = client.get("/admin/")
    assert page.status_code == 200
    assert editor.name in page.get_data(as_text=True)


def test_secure_cookie_when_public_url_is_https(settings: Settings, editor: Staff) -> None:
    app = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
            "public_url": "https://geo.hameln.de",
        }
    )
    response = login_form(app.test_client(), editor.name)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_password_is_refused(client: FlaskClient, engine: Engine) -> None:
    editor = make_staff(engine, "editor", prefix="wrong")
    response = login_form(client, editor.name, "falsch-falsch-falsch")
    assert response.status_code == 401
    assert "Name oder Passwort ist falsch" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_does_not_redirect_to_other_sites(client: FlaskClient, engine: Engine) -> None:
    editor = make_staff(engine, "editor", prefix="next")
    for target in ("https://evil.example/", "//evil.example/admin", "/etwas"):
        token = csrf_token(client)
        response = client.post(
            "/admin/login?next=" + target,
            data={"name": editor.name, "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == "/admin/"


def test_logout(client: FlaskClient, engine: Engine) -> None:
    editor = make_staff(engine, "editor", prefix="logout")
    login_form(client, editor.name)
    page = client.get("/admin/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/admin/logout", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited(settings: Settings, engine: Engine) -> None:
    """The limit counts in PostgreSQL: a second app (another worker process) sees the count."""
    staff = make_staff(engine, "editor", prefix="limit")  # a name no other test logs in with
    config = {"database_url": settings.database_url, "var_dir": settings.var, "secret_key": "x"}
    first, second = create_app(config).test_client(), create_app(config).test_client()
    statuses = [login_form(first, staff.name, "falsch-falsch").status_code for _ in range(3)]
    statuses += [login_form(second, staff.name, "falsch-falsch").status_code for _ in range(3)]
    assert statuses == [401] * 5 + [429]
    response = login_form(first, staff.name)
    assert response.status_code == 429
    assert "Zu viele Anmeldeversuche" in response.get_data(as_text=True)


def test_citizens_get_no_cookie(app: Flask, client: FlaskClient) -> None:
    public = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if (
                not rule.arguments
                and "GET" in (rule.methods or ())
                and not rule.rule.startswith("/admin")
            ):
                public.append(rule.rule)
    public.append("/static/admin/admin.css")
    assert len(public) >= 3
    for path in public:
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path
    assert "Set-Cookie" in client.get("/admin/login").headers


def test_new_password_ends_sessions(client: FlaskClient, engine: Engine) -> None:
    staff = make_staff(engine, "editor", prefix="pw")
    login_session(client, staff)
    assert client.get("/admin/").status_code == 200
    auth.change_account(engine, staff.name, actor="tests", password="ein-ganz-neues-passwort")
    assert client.get("/admin/").status_code == 302


def test_deactivated_account_and_revoked_token_are_refused(
    client: FlaskClient, engine: Engine, settings: Settings
) -> None:
    staff = make_staff(engine, "editor", prefix="off")
    assert client.get("/admin/api/me", headers=staff.bearer).status_code == 200
    result = cli_run(settings, ["token", "revoke", staff.name])
    assert "1 Token(s) widerrufen" in result.output
    assert client.get("/admin/api/me", headers=staff.bearer).status_code == 401
    token = auth.create_api_token(engine, staff.name, actor="tests")
    auth.change_account(engine, staff.name, actor="tests", active=False)
    response = client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert login_form(client, staff.name).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer bg_falsch", "Basic dXNlcjpwdw==", "bg_x"])
def test_bad_tokens_are_refused(client: FlaskClient, header: str) -> None:
    response = client.get("/admin/api/layers", headers={"Authorization": header})
    assert response.status_code == 401


def test_cli_user_add_from_env_and_prompt(settings: Settings, engine: Engine) -> None:
    result = cli_run(
        settings, ["user", "add", "Cli.Admin", "--role", "admin"], BUERGERGIS_PASSWORD=PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert "cli.admin (admin) angelegt" in result.output
    assert auth.authenticate(engine, "cli.admin", PASSWORD) is not None
    prompt = CliRunner().invoke(
        cli,
        ["user", "add", "cli.editor"],
        input="prompt-passwort-1\nprompt-passwort-1\n",
        env={"DATABASE_URL": settings.database_url, "BUERGERGIS_PASSWORD": None},
    )
    assert prompt.exit_code == 0, prompt.output
    user = auth.authenticate(engine, "cli.editor", "prompt-passwort-1")
    assert user is not None and user.role == "editor"
    with engine.connect() as conn:
        stored = users.credentials(conn, "cli.editor")
    assert stored is not None and stored[1].startswith("$argon2id$")
    assert "prompt-passwort-1" not in stored[1]


def test_cli_refuses_bad_input(settings: Settings) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "BUERGERGIS_PASSWORD": "zu-kurz",
    }
    script = Path(sys.executable).parent / "buergergis"
    short = subprocess.run(
        [str(script), "user", "add", "kurz"], env=env, capture_output=True, text=True, check=False
    )
    assert short.returncode == 2
    assert "Fehler: Das Passwort muss mindestens 10 Zeichen lang sein." in short.stderr
    bad_name = CliRunner().invoke(
        cli, ["user", "add", "Böse Name"], env={"BUERGERGIS_PASSWORD": PASSWORD}
    )
    assert isinstance(bad_name.exception, InvalidParameter)
    assert "Ungültiger Name" in bad_name.exception.description
    role = cli_run(
        settings, ["user", "add", "x-rolle", "--role", "chef"], BUERGERGIS_PASSWORD=PASSWORD
    )
    assert role.exit_code == 2 and "chef" in role.output


def test_cli_token_create_prints_working_token(
    settings: Settings, client: FlaskClient, engine: Engine
) -> None:
    staff = make_staff(engine, "editor", prefix="tok")
    result = cli_run(settings, ["token", "create", staff.name])
    token = result.output.strip()
    assert token.startswith("bg_") and len(token) > 40
    response = client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json() == {"name": staff.name, "role": "editor"}
    unknown = CliRunner().invoke(
        cli, ["token", "create", "gibt-es-nicht"], env={"DATABASE_URL": settings.database_url}
    )
    assert "gibt es nicht" in str(unknown.exception)


def test_account_changes_are_audited(client: FlaskClient, engine: Engine, admin: Staff) -> None:
    login_session(client, admin)
    page = client.get("/admin/accounts").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/admin/accounts",
        data={
            "name": "neu.kollegin",
            "role": "editor",
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    assert response.status_code == 302
    own = client.post(
        f"/admin/accounts/{admin.name}",
        data={"role": "editor", "active": "y", "csrf_token": token.group(1)},
    )
    assert own.status_code == 400
    with engine.connect() as conn:
        entries = audit.entries(conn, limit=50)
    added = [
        e
        for e in entries
        if e.action == "account_add" and e.details.get("account") == "neu.kollegin"
    ]
    assert added and added[0].actor == admin.name
