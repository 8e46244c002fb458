"""Metadata for the geoportals: CSW 2.0.2 at /csw (ISO 19139) through OWSLib's
CatalogueServiceWeb and OGC API – Records under /records; one record per public layer,
following layer changes, none for private layers."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree
from owslib.catalogue.csw2 import CatalogueServiceWeb
from owslib.fes import PropertyIsLike
from sqlalchemy import Engine

from buergergis.catalog.parse import load_definition_file
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.lifecycle import change_definition, delete
from tests.wms_support import PRIVATE, load_wms_layers

pytestmark = pytest.mark.timeout(300)
GMD = "http://www.isotc211.org/2005/gmd"
ITEMS = "/records/collections/metadata:main/items"


@pytest.fixture(scope="module")
def wms_layers(engine: Engine, demo_settings: Settings) -> list[str]:
    """Kitas, Holzverkauf, Gelände (Höhenstufen) and a private copy of the Kitas."""
    return load_wms_layers(engine, demo_settings)


@pytest.fixture(scope="module")
def csw(live_server: str, wms_layers: list[str]) -> CatalogueServiceWeb:
    """OWSLib's CSW 2.0.2 client on /csw."""
    return CatalogueServiceWeb(f"{live_server}/csw", version="2.0.2", timeout=60)


def test_capabilities_describe_the_catalogue(csw: CatalogueServiceWeb) -> None:
    assert csw.identification.type == "CSW"
    assert "2.0.2" in csw.identification.version
    assert csw.identification.title == "BürgerGIS Hameln – Metadatenkatalog"
    assert csw.provider.name == "Stadt Hameln"
    assert csw.provider.contact.email == "geodaten@hameln.de"
    getrecords = next(op for op in csw.operations if op.name == "GetRecords")
    schemas = getrecords.parameters["outputSchema"]["values"]
    assert GMD in schemas


def test_getrecords_in_iso19139_names_every_public_layer(csw: CatalogueServiceWeb) -> None:
    records: dict[str, Any] = {}
    start = 1  # every page: other tests of the session may have published more layers
    while start:
        csw.getrecords2(outputschema=GMD, esn="full", maxrecords=50, startposition=start)
        records.update(csw.records)
        start = int(csw.results.get("nextrecord") or 0)
        assert len(records) < 10_000, "paging does not end"
    ids = set(records)
    assert {"de.hameln.buergergis.kitas", "de.hameln.buergergis.holzverkauf"} <= ids
    assert f"de.hameln.buergergis.{PRIVATE}" not in ids
    kitas = records["de.hameln.buergergis.kitas"]
    ident = (
        kitas.identification[0] if isinstance(kitas.identification, list) else kitas.identification
    )
    assert ident.title == "Kindertagesstätten"
    assert "Kindertagesstätten in Hameln" in ident.abstract
    assert "Kindergarten" in [
        k for group in ident.keywords for k in group.keywords for k in [k.name]
    ]
    west, south, east, north = (
        float(v) for v in (ident.bbox.minx, ident.bbox.miny, ident.bbox.maxx, ident.bbox.maxy)
    )
    assert 9.2 < west < east < 9.5 and 52.0 < south < north < 52.2
    assert ident.otherconstraints == ["Datenlizenz Deutschland – Zero – Version 2.0"]
    assert ident.otherconstraints_url == ["https://www.govdata.de/dl-de/zero-2-0"]
    assert "Quellenvermerk: Stadt Hameln" in ident.uselimitation[0]
    assert kitas.contact[0].organization == "Stadt Hameln"
    assert kitas.datestamp  # update date
    urls = {o.protocol: o.url for o in kitas.distribution.online}
    assert urls["OGC:WMS"].endswith("/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    assert urls["OGC:API-Features"].endswith("/ogc/collections/kitas")
    assert "/ogc/collections/kitas/items?f=json" in urls["WWW:DOWNLOAD-1.0-http--download"]
    codes = (
        {rs.code for rs in kitas.referencesystem}
        if isinstance(kitas.referencesystem, list)
        else None
    )
    assert codes is None or "25832" in codes


def test_search_by_title_and_record_by_id(csw: CatalogueServiceWeb) -> None:
    csw.getrecords2(constraints=[PropertyIsLike("dc:title", "%Kinder%")], esn="full", maxrecords=20)
    assert "de.hameln.buergergis.kitas" in csw.records
    assert "de.hameln.buergergis.holzverkauf" not in csw.records
    csw.getrecordbyid(id=[f"de.hameln.buergergis.{PRIVATE}"], outputschema=GMD)
    assert not csw.records
    csw.getrecordbyid(id=["de.hameln.buergergis.holzverkauf"], outputschema=GMD)
    assert list(csw.records) == ["de.hameln.buergergis.holzverkauf"]


def test_records_api_lists_public_layers(client: FlaskClient, wms_layers: list[str]) -> None:
    landing = client.get("/records?f=json")
    assert landing.status_code == 200
    body = client.get(f"{ITEMS}?f=json&limit=50").get_json()
    ids = {f["id"] for f in body["features"]}
    assert "de.hameln.buergergis.kitas" in ids and f"de.hameln.buergergis.{PRIVATE}" not in ids
    item = client.get(f"{ITEMS}/de.hameln.buergergis.kitas?f=json").get_json()
    assert item["properties"]["title"] == "Kindertagesstätten"
    assert "Kindergarten" in item["properties"]["keywords"]
    assert item["geometry"]["type"] == "Polygon"
    hrefs = [link["href"] for link in item["links"]]
    assert any(h.endswith("/ogc/collections/kitas") for h in hrefs)
    iso = client.get(f"{ITEMS}/de.hameln.buergergis.kitas?f=xml")
    assert etree.QName(etree.fromstring(iso.data)).localname == "MD_Metadata"
    hidden = client.get(f"{ITEMS}/de.hameln.buergergis.{PRIVATE}?f=json")
    assert hidden.status_code == 404


def test_records_follow_layer_changes(
    client: FlaskClient, engine: Engine, demo_settings: Settings, wms_layers: list[str]
) -> None:
    new = "de.hameln.buergergis.kitas-katalog"
    assert client.get(f"{ITEMS}/{new}?f=json").status_code == 404
    kitas = load_definition_file(demo_settings.layers_path / "kitas.yaml", demo_settings.root)
    copy = kitas.model_copy(update={"id": "kitas-katalog", "title": "Kitas (Katalog)"})
    load_layer(engine, demo_settings, copy)
    item = client.get(f"{ITEMS}/{new}?f=json")
    assert item.status_code == 200 and item.get_json()["properties"]["title"] == "Kitas (Katalog)"
    by_id = (
        "/csw?service=CSW&version=2.0.2&request=GetRecordById&outputschema=" + GMD + "&id=" + new
    )
    assert b"Kitas (Katalog)" in client.get(by_id).data

    renamed = copy.model_copy(update={"title": "Kitas (umbenannt)"})
    with engine.begin() as conn:
        change_definition(conn, renamed, actor="test", action="edit")
    assert b"Kitas (umbenannt)" in client.get(by_id).data

    with engine.begin() as conn:  # unpublished: gone from CSW and Records
        change_definition(
            conn, renamed.model_copy(update={"public": False}), actor="test", action="unpublish"
        )
    assert client.get(f"{ITEMS}/{new}?f=json").status_code == 404
    assert new.encode() not in client.get(by_id).data

    with engine.begin() as conn:  # published again, then deleted
        change_definition(conn, renamed, actor="test", action="publish")
    assert client.get(f"{ITEMS}/{new}?f=json").status_code == 200
    with engine.begin() as conn:
        delete(conn, "kitas-katalog", actor="test")
    assert client.get(f"{ITEMS}/{new}?f=json").status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{ITEMS}?offset=9223372036854775808", 400),
        (f"{ITEMS}?limit=-1", 400),
        ("/records/collections/kitas/items", 404),
        ("/csw?adresse=x", 400),
        (
            "/csw?service=CSW&version=2.0.2&request=GetRecords&typenames=csw:Record&maxrecords=NaN",
            200,
        ),
    ],
)
def test_malformed_requests_are_answered_not_crashed(
    client: FlaskClient, wms_layers: list[str], url: str, status: int
) -> None:
    response = client.get(url)
    assert response.status_code == status
    if url.startswith("/csw"):  # an OGC exception report (CSW answers its own errors)
        assert b"ExceptionReport" in response.data
