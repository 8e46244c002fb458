"""Share links and QR codes (issue 16, section 4): only addresses of this service, rebuilt from
validated parameters; the QR codes (SVG and PNG, drawn by segno) decode to exactly that link."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image

from buergergis.errors import InvalidParameter, NotFound
from buergergis.maps import share

BASE = "https://karte.hameln.de"


def decode_png(body: bytes) -> str:
    """The text of the one QR code in a PNG (zxing-cpp, an independent decoder)."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(body)).convert("L"))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


# ---- share_link: which URLs are accepted, and what they become ----------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", f"{BASE}/"),
        (
            "/?zoom=17&center=52.1,9.35&layers=holzverkauf&feature=holzverkauf:H-7&utm_source=x",
            f"{BASE}/?center=52.10000,9.35000&zoom=17&layers=holzverkauf&feature=holzverkauf:H-7",
        ),
        (f"{BASE}/?lang=en&layers=kitas", f"{BASE}/?layers=kitas&lang=en"),
        ("http://127.0.0.1:5000/embed?layers=kitas", f"{BASE}/embed?layers=kitas"),
        ("/liste/kitas?fid=K 1&page=3&x=<b>", f"{BASE}/liste/kitas?fid=K+1"),
        ("/liste/kitas/?lang=en", f"{BASE}/liste/kitas?lang=en"),
    ],
)
def test_share_link_is_rebuilt_from_validated_parts(url: str, expected: str) -> None:
    assert share.share_link(url, BASE, "127.0.0.1:5000") == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/?layers=kitas",
        "//evil.example/",
        "javascript:alert(1)",
        "ftp://karte.hameln.de/",
        "https://karte.hameln.de.evil.example/",
        "relative/path",
        "/admin",
        "/teilen.svg?url=/",
        "/liste/../admin",
        "/liste/Kitas",
        "http://[",
    ],
)
def test_share_link_refuses_other_sites_and_pages(url: str) -> None:
    with pytest.raises(NotFound):
        share.share_link(url, BASE, "127.0.0.1:5000")


@pytest.mark.parametrize(
    "url", ["", "   ", None, "/?" + "a" * share.MAX_URL, "/?zoom=99", "/?center=x"]
)
def test_share_link_rejects_bad_input(url: str | None) -> None:
    with pytest.raises(InvalidParameter):
        share.share_link(url, BASE, "127.0.0.1:5000")


def test_qr_png_decodes_to_the_exact_link() -> None:
    link = f"{BASE}/?center=52.08765,9.40123&zoom=17&layers=holzverkauf&feature=holzverkauf:L-12"
    assert decode_png(share.qr_png(link, 4)) == link


def test_parse_scale() -> None:
    assert share.parse_scale(None) == share.DEFAULT_SCALE
    assert share.parse_scale("12") == 12
    for bad in ("0", "41", "x", "-3"):
        with pytest.raises(InvalidParameter):
            share.parse_scale(bad)


# ---- the routes ------------------------------------------------------------------------


def test_png_route_encodes_the_permalink_of_a_lot(client: FlaskClient) -> None:
    url = "/?layers=holzverkauf&feature=holzverkauf:L-12&zoom=17&center=52.08765,9.40123"
    response = client.get("/teilen.png?scale=6&url=" + quote(url))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "max-age" in response.headers["Cache-Control"]
    assert decode_png(response.data) == (
        "http://localhost/?center=52.08765,9.40123&zoom=17&layers=holzverkauf"
        "&feature=holzverkauf:L-12"
    )


def test_svg_route_is_the_same_qr_code_as_the_png(client: FlaskClient) -> None:
    url = quote("/?layers=holzverkauf&feature=holzverkauf:L-12")
    svg = client.get("/teilen.svg?url=" + url)
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert svg.data.lstrip().startswith(b"<?xml")
    assert b"<title>QR-Code f" in svg.data
    assert b"<script" not in svg.data
    link = "http://localhost/?layers=holzverkauf&feature=holzverkauf:L-12"
    assert svg.data == share.qr_svg(link, share.TEXTS["de"]["qr_alt"])
    download = client.get("/teilen.svg?download=1&url=" + url)
    assert download.headers["Content-Disposition"] == 'attachment; filename="hameln-qr.svg"'


@pytest.mark.parametrize("route", ["/teilen", "/teilen.json", "/teilen.svg", "/teilen.png"])
@pytest.mark.parametrize("url", ["https://evil.example/", "/admin/", "//evil.example/x"])
def test_routes_never_encode_other_addresses(client: FlaskClient, route: str, url: str) -> None:
    response = client.get(f"{route}?url={quote(url)}")
    assert response.status_code == 404
    assert b"evil.example" not in response.data or route == "/teilen"  # message, not a QR
    assert response.mimetype in {"text/html", "application/json"}


def test_routes_want_a_url(client: FlaskClient) -> None:
    response = client.get("/teilen.json")
    assert response.status_code == 400
    assert response.get_json()["description"].startswith("Parameter 'url' fehlt")


def test_json_names_link_and_images(client: FlaskClient) -> None:
    body = client.get("/teilen.json?url=" + quote("/?layers=kitas&lang=en")).get_json()
    assert body["url"] == "http://localhost/?layers=kitas&lang=en"
    assert body["svg"] == "/teilen.svg?url=" + quote(body["url"], safe="")
    assert body["png"] == "/teilen.png?url=" + quote(body["url"], safe="")
    assert body["page"] == "/teilen?url=" + quote(body["url"], safe="")


def test_share_page_without_javascript(client: FlaskClient) -> None:
    response = client.get("/teilen?url=" + quote("/?layers=kitas&lang=en"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'value="http://localhost/?layers=kitas&amp;lang=en"' in html
    assert "QR code for this link" in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_public_url_wins(settings: object) -> None:
    from buergergis import create_app

    app = create_app(
        {
            "database_url": settings.database_url,  # type: ignore[attr-defined]
            "var_dir": settings.var,  # type: ignore[attr-defined]
            "secret_key": "test-secret",
            "public_url": BASE,
        }
    )
    body = app.test_client().get("/teilen.json?url=%2F%3Flayers%3Dkitas").get_json()
    assert body["url"] == f"{BASE}/?layers=kitas"


def test_map_page_has_a_share_button(client: FlaskClient) -> None:
    html = client.get("/?layers=kitas&lang=en").get_data(as_text=True)
    assert 'id="share-button"' in html
    assert 'href="/teilen?url=/%3Flayers%3Dkitas%26lang%3Den"' in html
    assert "/static/js/share.js" in html
