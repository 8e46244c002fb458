"""Uploads: accepted formats, every refusal with a German message, nothing left behind."""

# ruff: noqa: F811 - the fixtures 'editor'/'admin' come from tests.admin_support

from __future__ import annotations

import io
import os
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis import create_app
from buergergis.admin.uploads import claimed, cleanup_stale, open_upload, uploads_root
from buergergis.settings import Settings
from tests.admin_support import (  # noqa: F401 - fixtures
    Staff,
    editor,
    login_session,
    make_staff,
    upload,
    zip_bytes,
)

MiB = 1024 * 1024
SHP_HEADER = (9994).to_bytes(4, "big") + bytes(96)


def _zip_with(info: zipfile.ZipInfo, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(info, data)
    return buffer.getvalue()


def _symlink() -> bytes:
    info = zipfile.ZipInfo("link.shp")
    info.external_attr = 0o120777 << 16
    return _zip_with(info, b"/etc/passwd")


def _encrypted() -> bytes:
    """zipfile cannot write encrypted members: set the flag bit in both headers by hand."""
    data = bytearray(zip_bytes([("geheim.shp", b"x")]))
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    return bytes(data)


def _bomb() -> bytes:
    return zip_bytes([("bombe.dbf", bytes(8 * MiB))])


REFUSED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "zip bomb": (_bomb, "daten.zip", "ZIP-Bombe"),
    "parent path": (lambda: zip_bytes([("../ausbruch.shp", b"x")]), "a.zip", "Unzulässiger Pfad"),
    "absolute path": (
        lambda: zip_bytes([("/tmp/ausbruch.shp", b"x")]),
        "a.zip",
        "Unzulässiger Pfad",
    ),
    "nested parent": (lambda: zip_bytes([("a/../../b.shp", b"x")]), "a.zip", "Unzulässiger Pfad"),
    "windows drive": (lambda: zip_bytes([("C:\\win\\b.shp", b"x")]), "a.zip", "Unzulässiger Pfad"),
    "symlink": (_symlink, "link.zip", "Verknüpfungen"),
    "encrypted": (_encrypted, "geheim.zip", "Verschlüsselte"),
    "nested archive": (lambda: zip_bytes([("innen.zip", b"PK")]), "a.zip", "Archive im Archiv"),
    "nested tar.gz": (lambda: zip_bytes([("daten.tar.gz", b"x")]), "a.zip", "Archive im Archiv"),
    "too many files": (
        lambda: zip_bytes((f"f{i}.txt", b"") for i in range(201)),
        "viele.zip",
        "zu viele Dateien",
    ),
    "missing shx": (
        lambda: zip_bytes([("a.shp", SHP_HEADER), ("a.dbf", b"x")]),
        "a.zip",
        "fehlt: .shx",
    ),
    "missing dbf": (
        lambda: zip_bytes([("a.shp", SHP_HEADER), ("a.shx", SHP_HEADER)]),
        "a.zip",
        "fehlt: .dbf",
    ),
    "missing shp": (
        lambda: zip_bytes([("a.dbf", b"x"), ("a.shx", b"x")]),
        "a.zip",
        ".shp-Datei des Shapefiles fehlt",
    ),
    "no data": (
        lambda: zip_bytes([("liesmich.txt", b"hallo")]),
        "a.zip",
        "Keine lesbaren Geodaten",
    ),
    "not a zip": (lambda: b"kein zip", "kaputt.zip", "nicht lesbar"),
    "empty zip": (lambda: zip_bytes([]), "leer.zip", "leer"),
    "empty file": (lambda: b"", "leer.geojson", "leer"),
    "unsupported": (lambda: b"hallo", "notiz.txt", "nicht angenommen"),
    "bare shp": (lambda: SHP_HEADER, "a.shp", "als ZIP hochladen"),
    "broken geojson": (lambda: b"{kaputt", "k.geojson", "nicht lesbar"),
    "broken gpkg": (lambda: b"SQLite format 3\x00kaputt", "k.gpkg", "GeoPackage"),
}


def _folders(settings: Settings) -> set[str]:
    return {p.name for p in uploads_root(settings).iterdir()}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_german_message_and_nothing_left(
    case: str, client: FlaskClient, editor: Staff, settings: Settings, tmp_path: Path
) -> None:
    build, filename, message = REFUSED[case]
    before = _folders(settings)
    response = upload(client, editor, build(), filename)
    body = response.get_json()
    assert 400 <= response.status_code < 500, body
    assert message in body["description"]
    assert _folders(settings) == before
    for escaped in (settings.var / "ausbruch.shp", settings.var / "uploads" / "ausbruch.shp"):
        assert not escaped.exists()
    assert not Path("/tmp/ausbruch.shp").exists()


@pytest.fixture(scope="module")
def small_app(settings: Settings) -> Flask:
    """An app that accepts uploads of at most 1 MB."""
    return create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
            "upload_max_mb": 1,
        }
    )


def test_too_large_upload(small_app: Flask, editor: Staff, settings: Settings) -> None:
    before = _folders(settings)
    noise = random.Random(1).randbytes(2 * MiB)
    response = upload(small_app.test_client(), editor, noise, "gross.geojson")
    assert response.status_code == 413
    assert "höchstens 1 MB" in response.get_json()["description"]
    assert _folders(settings) == before


def test_too_large_when_unpacked(small_app: Flask, editor: Staff, settings: Settings) -> None:
    before = _folders(settings)
    rng = random.Random(2)
    words = [rng.choice(["Hameln", "Weser", "Rattenfänger", "Pyrmont"]) for _ in range(800_000)]
    text = " ".join(words).encode()
    assert len(text) > 5 * MiB
    data = zip_bytes([("gross.csv", text)])
    assert len(data) < MiB
    response = upload(small_app.test_client(), editor, data, "gross.zip")
    assert response.status_code == 400
    assert "entpackt zu groß" in response.get_json()["description"]
    assert _folders(settings) == before


def test_interrupted_upload_leaves_nothing(
    client: FlaskClient, editor: Staff, settings: Settings
) -> None:
    before = _folders(settings)
    body = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK\x03\x04'
    response = client.post(
        "/admin/api/uploads",
        headers={**editor.bearer, "Content-Type": "multipart/form-data; boundary=x"},
        input_stream=io.BytesIO(body),
        content_length=len(body) + 10_000,
    )
    assert response.status_code == 400
    assert _folders(settings) == before


def test_shapefile_in_folder_with_extras(
    client: FlaskClient, editor: Staff, shared_data: Path
) -> None:
    members = [
        ("Daten/Gemeinden/" + p.name, p.read_bytes())
        for p in sorted((shared_data / "official" / "encoding").glob("gem_cp1252_with_cpg.*"))
    ]
    members += [("Daten/liesmich.txt", b"Hinweise"), ("__MACOSX/._gem.shp", b"x")]
    response = upload(client, editor, zip_bytes(members), "gemeinden.zip")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [d["label"] for d in body["datasets"]] == ["Daten/Gemeinden/gem_cp1252_with_cpg.shp"]
    assert body["datasets"][0]["features"] == 8
    assert body["ignored"] == ["Daten/liesmich.txt"]
    assert "path" not in body["datasets"][0]


def test_several_shapefiles_user_picks_one(
    client: FlaskClient, editor: Staff, shared_data: Path
) -> None:
    data = (shared_data / "edge" / "shapefile" / "blockgroups_multishapefile.zip").read_bytes()
    body = upload(client, editor, data, "blockgroups.zip").get_json()
    assert len(body["datasets"]) == 2
    preview = client.get(body["links"]["preview"], headers=editor.bearer)
    assert preview.status_code == 400
    assert "Bitte einen Datensatz wählen" in preview.get_json()["description"]
    second = body["datasets"][1]
    chosen = client.get(
        body["links"]["preview"] + f"?dataset={second['key']}", headers=editor.bearer
    )
    assert chosen.status_code == 200, chosen.get_json()
    assert chosen.get_json()["feature_count"] == second["features"]


def test_geopackage_user_picks_layer(client: FlaskClient, editor: Staff, shared_data: Path) -> None:
    data = (shared_data / "official" / "derived_hameln_pyrmont_25832.gpkg").read_bytes()
    body = upload(client, editor, data, "hameln.gpkg").get_json()
    labels = {d["layer"]: d for d in body["datasets"]}
    assert {"gemeinden_vg5000", "orte_geonames"} <= set(labels)
    orte = labels["orte_geonames"]
    preview = client.get(
        body["links"]["preview"] + f"?dataset={orte['key']}", headers=editor.bearer
    )
    data = preview.get_json()
    assert data["feature_count"] == 7
    assert data["crs"]["status"] == "ok"


def test_csv_with_picked_coordinate_columns(client: FlaskClient, editor: Staff) -> None:
    rows = ["Name;Rechts;Hoch", "Rathaus;533987,5;5773321,2", "Hochzeitshaus;533950;5773400"]
    body = upload(client, editor, "\n".join(rows).encode("cp1252"), "orte.csv").get_json()
    link = body["links"]["preview"]
    unpicked = client.get(link, headers=editor.bearer)
    assert unpicked.status_code == 422
    assert "Koordinatenspalten" in unpicked.get_json()["description"]
    picked = client.get(link + "?x=Rechts&y=Hoch", headers=editor.bearer).get_json()
    assert picked["feature_count"] == 2
    assert picked["crs"]["detected"] is None
    assert picked["crs"]["suggested"][0] == "EPSG:25832"
    assert picked["crs"]["status"] == "ok"
    assert picked["rows"][0][1] == "Rathaus"
    half = client.get(link + "?x=Rechts", headers=editor.bearer)
    assert half.status_code == 400


def test_uploads_are_private_to_their_owner(
    client: FlaskClient, editor: Staff, engine: Engine
) -> None:
    data = zip_bytes([("a.csv", b"x,y\n9.35,52.1\n")])
    body = upload(client, editor, data, "a.zip").get_json()
    other = make_staff(engine, "editor", prefix="other")
    assert client.get(body["links"]["self"], headers=other.bearer).status_code == 404
    assert client.get(body["links"]["self"], headers=editor.bearer).status_code == 200


def test_discard_and_stale_cleanup(client: FlaskClient, editor: Staff, settings: Settings) -> None:
    data = zip_bytes([("a.csv", b"x,y\n9.35,52.1\n")])
    first = upload(client, editor, data, "a.zip").get_json()
    second = upload(client, editor, data, "b.zip").get_json()
    assert client.delete(first["links"]["self"], headers=editor.bearer).status_code == 204
    assert not (uploads_root(settings) / first["id"]).exists()
    old = time.time() - (settings.upload_keep_hours + 1) * 3600
    os.utime(uploads_root(settings) / second["id"], (old, old))
    assert cleanup_stale(settings) >= 1
    assert not (uploads_root(settings) / second["id"]).exists()
    assert client.get(second["links"]["self"], headers=editor.bearer).status_code == 404


def test_invalid_upload_ids_are_not_found(client: FlaskClient, editor: Staff) -> None:
    for upload_id in ("..", "..%2F..%2Fetc", "0" * 31, "g" * 32):
        response = client.get(f"/admin/api/uploads/{upload_id}", headers=editor.bearer)
        assert response.status_code == 404


def test_an_upload_is_processed_once_at_a_time(
    client: FlaskClient, editor: Staff, settings: Settings
) -> None:
    data = zip_bytes([("orte.csv", b"x,y,name\n9.3561,52.1036,Rathaus\n")])
    body = upload(client, editor, data, "orte.zip").get_json()
    staged = open_upload(settings, body["id"], editor.name, is_admin=False)
    publish_url = body["links"]["publish"]
    with claimed(staged):
        busy = client.post(publish_url, headers=editor.bearer, json={"id": "einmal", "title": "E"})
        assert busy.status_code == 409
        assert "wird gerade veröffentlicht" in busy.get_json()["description"]
    body_ok = {"id": "einmal", "title": "E", "crs": "EPSG:4326"}
    done = client.post(publish_url, headers=editor.bearer, json=body_ok)
    assert done.status_code == 201, done.get_json()
    again = client.post(publish_url, headers=editor.bearer, json={**body_ok, "id": "einmal2"})
    assert again.status_code == 404


def test_my_uploads_are_listed_with_expiry_and_reopen(
    client: FlaskClient, engine: Engine, settings: Settings
) -> None:
    owner = make_staff(engine, "editor", prefix="meine")
    other = make_staff(engine, "editor", prefix="fremd")
    data = zip_bytes([("a.csv", b"x,y\n9.35,52.1\n")])
    body = upload(client, owner, data, "meine-liste.zip").get_json()
    login_session(client, owner)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Meine Uploads" in page
    listed = page[page.index('data-testid="pending-uploads"') :].split("</table>")[0]
    assert "meine-liste.zip" in listed and body["links"]["page"] in listed
    assert listed.count(".20") >= 2  # uploaded and "Wird entfernt" (dd.mm.yyyy hh:mm)
    assert client.get(body["links"]["page"]).status_code == 200  # reopens the Upload-Doktor
    login_session(client, other)
    assert "meine-liste.zip" not in client.get("/admin/").get_data(as_text=True)
    old = time.time() - (settings.upload_keep_hours + 1) * 3600
    os.utime(uploads_root(settings) / body["id"], (old, old))
    cleanup_stale(settings)
    login_session(client, owner)
    assert "meine-liste.zip" not in client.get("/admin/").get_data(as_text=True)
