"""Helpers of the request tests (``tests/test_services_anfragen*.py``, mail, retention)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.store.sql import layer_view


def form_token(client: FlaskClient, layer: str, fid: str) -> str:
    """The signed token of a fresh request form."""
    page = client.get(f"/anfrage/{layer}/{fid}").get_data(as_text=True)
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert match, page[:800]
    return match.group(1)


def form_data(token: str, **overrides: str) -> dict[str, str]:
    """A valid request body (fields of the richest form; unknown ones are ignored)."""
    data = {
        "token": token,
        "name": "Erika Mustermann",
        "kontakt": "erika@example.de",
        "nachricht": "Bitte melden Sie sich.",
        "einwilligung": "y",
        "website": "",
        "teilnehmer": "Paul Mustermann, 9 Jahre",
        "anliegen": "Kaufanfrage",
    }
    data.update(overrides)
    return data


def submit(client: FlaskClient, layer: str, fid: str, **overrides: Any) -> Any:
    """Fetch the form and post it (a new token each time)."""
    return client.post(
        f"/anfrage/{layer}/{fid}", data=form_data(form_token(client, layer, fid), **overrides)
    )


def count(engine: Engine, layer: str | None = None) -> int:
    """Stored requests (of one layer)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM buergergis.anfrage"
                    " WHERE CAST(:l AS text) IS NULL OR layer_id = :l"
                ),
                {"l": layer},
            ).scalar_one()
        )


def first_where(engine: Engine, layer: str, condition: str, **params: Any) -> str:
    """The first feature id (gid order) of a layer matching an SQL condition."""
    with engine.connect() as conn:
        sql = f"SELECT fid FROM {layer_view(layer)} t WHERE {condition} ORDER BY gid LIMIT 1"  # noqa: S608
        return str(conn.execute(text(sql), params).scalar_one())


def small_activity(engine: Engine) -> tuple[str, int]:
    """A current Ferienaktion with the fewest places (id, places)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT fid, plaetze FROM {layer_view('ferienaktionen')}"  # noqa: S608
                " WHERE ende >= :today ORDER BY plaetze, gid LIMIT 1"
            ),
            {"today": date.today()},
        ).one()
    return str(row.fid), int(row.plaetze)


def clear_requests(engine: Engine) -> None:
    """Start from an empty request table, outbox and counters."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM buergergis.anfrage"))
        conn.execute(text("DELETE FROM buergergis.mail_outbox"))
        conn.execute(text("DELETE FROM buergergis.rate_counter"))


@pytest.fixture()
def generous(app: Flask) -> Iterator[None]:
    """Many submissions from 127.0.0.1 must not hit the per-address limit."""
    before = app.config.get("BUERGERGIS_ANFRAGE_LIMITS")
    app.config["BUERGERGIS_ANFRAGE_LIMITS"] = ((60, 10_000),)
    yield
    app.config.pop("BUERGERGIS_ANFRAGE_LIMITS", None)
    if before is not None:
        app.config["BUERGERGIS_ANFRAGE_LIMITS"] = before


@dataclass
class Inbox:
    """Mails received by the loopback SMTP server."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, raw: bytes) -> None:
        with self.lock:
            self.messages.append(message_from_bytes(raw))

    def to(self, address: str) -> list[Message]:
        """Mails for one recipient."""
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.inbox.add(envelope.content)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) on a loopback port that can be stopped and restarted."""

    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(_Handler(self.inbox), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    """A free loopback port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on loopback for one test (stopped afterwards)."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
