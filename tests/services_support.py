"""Helpers of the city-service tests (``tests/test_services_*.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.store.services import edits
from buergergis.store.sql import layer_view

LOTS = "holzverkauf"


def lots_with(engine: Engine, status: str) -> list[str]:
    """Ids of the lots with ``status`` (gid order)."""
    with engine.connect() as conn:
        sql = f"SELECT fid FROM {layer_view(LOTS)} WHERE status = :s ORDER BY gid"  # noqa: S608
        return list(conn.execute(text(sql), {"s": status}).scalars())


def value_of(engine: Engine, layer: str, fid: str, name: str) -> Any:
    """One attribute of one live feature, read directly."""
    with engine.connect() as conn:
        sql = f'SELECT "{name}" FROM {layer_view(layer)} WHERE fid = :fid'  # noqa: S608
        return conn.execute(text(sql), {"fid": fid}).scalar_one()


def version_of(engine: Engine, layer: str) -> int:
    """The live version of a layer."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT version FROM buergergis.layer WHERE id = :id"), {"id": layer}
            ).scalar_one()
        )


class Restorer:
    """Remembers original attribute values and writes them back after a test."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.saved: dict[tuple[str, str], dict[str, Any]] = {}

    def keep(self, layer: str, fid: str, *names: str) -> str:
        """Remember ``names`` of one feature; returns ``fid``."""
        values = self.saved.setdefault((layer, fid), {})
        for name in names:
            values.setdefault(name, value_of(self.engine, layer, fid, name))
        return fid

    def restore(self) -> None:
        """Write every remembered value back (a new version if something changed)."""
        for (layer, fid), values in self.saved.items():
            with self.engine.begin() as conn:
                edits.edit_feature(conn, layer, fid, values, actor="tests", keep=5)


@pytest.fixture()
def restorer(engine: Engine) -> Iterator[Restorer]:
    """Undo the attribute edits of a test."""
    helper = Restorer(engine)
    yield helper
    helper.restore()


@pytest.fixture()
def generous_limit(app: Flask) -> Iterator[None]:
    """Many Kaufanfragen from 127.0.0.1 in one session must not hit the per-address limit."""
    before = app.config.get("BUERGERGIS_ANFRAGE_LIMITS")
    app.config["BUERGERGIS_ANFRAGE_LIMITS"] = ((60, 10_000),)
    yield
    if before is None:
        app.config.pop("BUERGERGIS_ANFRAGE_LIMITS", None)
    else:
        app.config["BUERGERGIS_ANFRAGE_LIMITS"] = before


def form_token(client: FlaskClient, fid: str) -> str:
    """The signed token of the Kaufanfrage form for lot ``fid``."""
    page = client.get(f"/anfrage/{LOTS}/{fid}").get_data(as_text=True)
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def request_url(fid: str) -> str:
    """The request form of a lot."""
    return f"/anfrage/{LOTS}/{fid}"


def request_data(fid: str, token: str, **overrides: str) -> dict[str, str]:
    """A valid Kaufanfrage form body (``fid`` is part of the URL, see :func:`request_url`)."""
    data = {
        "token": token,
        "name": "Erika Mustermann",
        "kontakt": "erika@example.de",
        "nachricht": "Bitte mit Anhänger abholen.",
        "einwilligung": "y",
        "website": "",
    }
    data.update(overrides)
    return data


def count_requests(engine: Engine) -> int:
    """How many Kaufanfragen are stored."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM buergergis.anfrage")).scalar_one())
