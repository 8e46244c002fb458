"""Staff sessions end: at most 8 hours, an idle timeout, logout ends them on the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis import create_app
from buergergis.settings import Settings
from tests.admin_support import csrf_token, login_form, make_staff


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _copy_client(app: Flask, cookie: str) -> FlaskClient:
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _logout(client: FlaskClient) -> None:
    page = client.get("/admin/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    assert client.post("/admin/logout", data={"csrf_token": token.group(1)}).status_code == 302


def test_session_lifetime_is_eight_hours(app: Flask, client: FlaskClient, engine: Engine) -> None:
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    staff = make_staff(engine, "editor", prefix="life")
    response = login_form(client, staff.name)
    expires = re.search(r"Expires=([^;]+)", response.headers["Set-Cookie"])
    assert expires, response.headers["Set-Cookie"]
    left = parsedate_to_datetime(expires.group(1)) - datetime.now(UTC)
    assert timedelta(hours=7, minutes=50) < left <= timedelta(hours=8, minutes=1)


def test_logout_ends_a_copied_cookie(app: Flask, client: FlaskClient, engine: Engine) -> None:
    staff = make_staff(engine, "editor", prefix="copy")
    login_form(client, staff.name)
    copied = _session_cookie(client)
    assert _copy_client(app, copied).get("/admin/").status_code == 200
    _logout(client)
    response = _copy_client(app, copied).get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def _age_sessions(engine: Engine, name: str, column: str, hours: float) -> None:
    assert column in {"created_at", "last_seen"}
    with engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE buergergis.staff_session s SET {column} = now() - make_interval(secs => :h * 3600)"  # noqa: S608
                " FROM buergergis.account a WHERE a.id = s.account_id AND a.name = :n"
            ),
            {"h": hours, "n": name},
        )


def test_idle_session_ends(client: FlaskClient, engine: Engine) -> None:
    staff = make_staff(engine, "editor", prefix="idle")
    login_form(client, staff.name)
    assert client.get("/admin/").status_code == 200
    _age_sessions(engine, staff.name, "last_seen", 0.5)  # 30 min idle: still fine (60 min)
    assert client.get("/admin/").status_code == 200
    _age_sessions(engine, staff.name, "last_seen", 1.1)
    assert client.get("/admin/").status_code == 302


def test_idle_timeout_is_a_setting(settings: Settings, engine: Engine) -> None:
    app = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "idle-test",
            "session_idle_minutes": 10,
        }
    )
    client = app.test_client()
    staff = make_staff(engine, "editor", prefix="idle10")
    login_form(client, staff.name)
    _age_sessions(engine, staff.name, "last_seen", 0.1)  # 6 minutes
    assert client.get("/admin/").status_code == 200
    _age_sessions(engine, staff.name, "last_seen", 0.2)  # 12 minutes
    assert client.get("/admin/").status_code == 302


def test_session_ends_after_eight_hours_even_when_active(
    client: FlaskClient, engine: Engine
) -> None:
    staff = make_staff(engine, "editor", prefix="max")
    login_form(client, staff.name)
    _age_sessions(engine, staff.name, "created_at", 7.9)
    assert client.get("/admin/").status_code == 200
    _age_sessions(engine, staff.name, "created_at", 8.1)
    assert client.get("/admin/").status_code == 302


def test_login_fields_have_autocomplete(client: FlaskClient) -> None:
    html = client.get("/admin/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*autocomplete="username"[^>]*name="name"', html)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*name="password"', html)


def test_lockout_keeps_the_form_and_says_when(settings: Settings, engine: Engine) -> None:
    app = create_app(
        {"database_url": settings.database_url, "var_dir": settings.var, "secret_key": "lock"}
    )
    client = app.test_client()
    staff = make_staff(engine, "editor", prefix="lock")
    for _ in range(5):
        assert login_form(client, staff.name, "falsch-falsch").status_code == 401
    response = login_form(client, staff.name, "falsch-falsch")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert re.search(r"Bitte ab \d\d:\d\d:\d\d Uhr erneut versuchen \(in \d+ Sekunden\)", html)
    assert 'name="password"' in html and 'name="csrf_token"' in html
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    csrf_token(client)  # the login page itself still works
