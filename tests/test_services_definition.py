"""The ``service`` block of a layer definition: validation, documentation, the six demo
services in YAML, a new service layer defined in YAML alone (Baugrundstücke) with colours,
list page, request form, staff inbox and feed, and the Standesamt found by "Geburtsurkunde"."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.catalog.models import VectorLayer
from buergergis.catalog.parse import load_definitions, parse_definition
from buergergis.catalog.service import RequestForm, Service, ServiceStatus
from buergergis.errors import DefinitionError
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings, load_settings
from tests.admin_support import Staff, editor, login_session  # noqa: F401
from tests.anfragen_support import generous, submit  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BAUGRUND = """
id: baugrundstuecke
title: Städtische Baugrundstücke
category: Planen & Bauen
source: {path: data/baugrund.geojson, format: geojson}
id_column: nr
attributes:
  - {name: nr, type: text, title: Grundstück}
  - {name: lage, type: text, title: Lage}
  - {name: flaeche_m2, type: integer, title: Fläche (m²)}
  - {name: preis_eur, type: float, title: Preis (€)}
  - {name: status, type: text, title: Status}
style:
  color: "#555555"
  by_attribute:
    attribute: status
    categories:
      - {value: frei, color: "#1a9850", label: frei}
      - {value: reserviert, color: "#e08214", label: reserviert}
      - {value: verkauft, color: "#8c8c8c", label: verkauft}
popup: [nr, lage, flaeche_m2, preis_eur, status]
search: [nr, lage]
service:
  title: Baugrundstücke
  filters: [status]
  status: {attribute: status, values: [frei, reserviert, verkauft], requestable: [frei]}
  editable: [status, preis_eur]
  reference_prefix: BG
  request:
    kind: kaufanfrage
    title: Kaufanfrage Baugrundstück
    notify: liegenschaften@hameln.example
"""


def _plots() -> dict[str, Any]:
    def square(x: float, y: float) -> list[list[list[float]]]:
        d = 0.0008
        return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]

    rows = [("BG-1", "Am Basberg 3", 620, 89000.0, "frei"), ("BG-2", "Am Basberg 5", 580, 84000.0,
            "reserviert"), ("BG-3", "Wangelist, Birkenweg 2", 710, 99000.0, "verkauft")]  # fmt: skip
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "nr": n,
                    "lage": lage,
                    "flaeche_m2": m2,
                    "preis_eur": p,
                    "status": s,
                },
                "geometry": {"type": "Polygon", "coordinates": square(9.33 + i * 0.002, 52.09)},
            }
            for i, (n, lage, m2, p, s) in enumerate(rows)
        ],
    }


def _minimal(**service: Any) -> dict[str, Any]:
    return {
        "id": "probe", "title": "Probe", "source": {"path": "x.geojson"},
        "attributes": [{"name": "status"}, {"name": "plaetze", "type": "integer"},
                       {"name": "ende", "type": "date"}],
        "service": {"title": "Probe", **service},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ({"farbe": "rot"}, "farbe"),
        ({"capacity": "status"}, "integer"),
        ({"valid_until": "status"}, "date"),
        ({"editable": ["gibtsnicht"]}, "gibtsnicht"),
        ({"status": {"attribute": "status", "values": ["a"], "requestable": ["b"]}}, "requestable"),
        ({"request": {"kind": "kaufanfrage", "title": "x", "staff_role": "chef"}}, "staff_role"),
        ({"request": {"kind": "kaufanfrage", "title": "x", "notify": "keine-adresse"}}, "notify"),
        ({"reference_prefix": "bg"}, "reference_prefix"),
    ],
)
def test_wrong_service_blocks_are_refused_with_file_and_field(
    service: dict[str, Any], message: str
) -> None:
    with pytest.raises(DefinitionError) as err:
        parse_definition(_minimal(**service), "probe.yaml")
    assert "probe.yaml" in err.value.description and message in err.value.description


def test_every_service_field_is_documented() -> None:
    docs = (PROJECT_ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    for model in (Service, ServiceStatus, RequestForm):
        for name in model.model_fields:
            assert f"`{name}`" in docs, f"Feld {name} fehlt in docs/layers.md"
    assert "`service`" in docs


def test_the_demo_services_are_declared_in_yaml(demo_root: Path) -> None:
    definitions = {d.id: d for d in load_definitions(demo_root / "layers", demo_root)}
    services = {
        lid: d.service for lid, d in definitions.items() if isinstance(d, VectorLayer) and d.service
    }
    assert set(services) >= {
        "buergeramt", "holzverkauf", "kitas", "ferienaktionen", "stellenangebote",
        "fahrzeugverkauf",
    }  # fmt: skip
    assert services["holzverkauf"].status and services["holzverkauf"].status.requestable == (
        "frei",
    )
    assert services["ferienaktionen"].capacity == "plaetze"
    jobs = services["stellenangebote"].request
    assert jobs and jobs.attachment and jobs.staff_role == "admin" and jobs.retention_days >= 180
    assert services["buergeramt"].opening_hours == "oeffnungszeiten"
    source = (PROJECT_ROOT / "buergergis" / "services" / "config.py").read_text(encoding="utf-8")
    assert "BUERGERGIS_SERVICE_LAYERS" not in source and "EDITABLE" not in source


@pytest.fixture(scope="module")
def baugrund(tmp_path_factory: pytest.TempPathFactory, settings: Settings, engine: Engine) -> str:
    root = tmp_path_factory.mktemp("baugrund")
    (root / "layers").mkdir()
    (root / "data").mkdir()
    (root / "layers" / "baugrundstuecke.yaml").write_text(BAUGRUND, encoding="utf-8")
    (root / "data" / "baugrund.geojson").write_text(json.dumps(_plots()), encoding="utf-8")
    local = load_settings(
        database_url=settings.database_url, var_dir=settings.var, root=root,
        secret_key="test-secret",
    )  # fmt: skip
    (definition,) = load_definitions(local.layers_path, local.root)
    load_layer(engine, local, definition)
    return definition.id


@pytest.mark.usefixtures("generous")
def test_a_yaml_only_service_layer_works_everywhere(
    client: FlaskClient,
    baugrund: str,
    editor: Staff,  # noqa: F811
) -> None:
    style = client.get(f"/ogc/collections/{baugrund}/styles/default?f=mapbox").get_data(
        as_text=True
    )
    assert "#1a9850" in style and "#e08214" in style  # colours from style.by_attribute
    listing = client.get(f"/dienste/{baugrund}")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Baugrundstücke" in page and "BG-1" in page and "BG-2" in page
    assert client.get(f"/dienste/{baugrund}?status=verschenkt").status_code == 400
    assert "Baugrundstücke" in client.get("/dienste").get_data(as_text=True)
    form = client.get(f"/anfrage/{baugrund}/BG-1")
    assert form.status_code == 200 and "Kaufanfrage Baugrundstück" in form.get_data(as_text=True)
    assert client.get(f"/anfrage/{baugrund}/BG-2").status_code == 409  # reserviert
    done = submit(client, baugrund, "BG-1", name="Bernd Bauherr")
    assert done.status_code == 303
    confirmation = client.get(done.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'data-testid="reference">([^<]+)<', confirmation)
    assert reference and reference.group(1).startswith("BG-")
    staff = login_session(client, editor)
    inbox = staff.get(f"/admin/dienste/anfragen?layer={baugrund}").get_data(as_text=True)
    assert reference.group(1) in inbox and "Bernd Bauherr" in inbox
    edit = staff.get(f"/admin/dienste/{baugrund}/BG-1").get_data(as_text=True)
    assert "preis_eur" in edit and '<option value="verkauft"' in edit
    feed = client.get(f"/feeds/{baugrund}.atom")
    assert feed.status_code == 200 and "BG-3" in feed.get_data(as_text=True)


@pytest.mark.usefixtures("demo_layers")
def test_geburtsurkunde_finds_the_standesamt_with_its_online_link(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "Geburtsurkunde"})
    hits = response.get_json()["results"]
    assert hits and hits[0]["layer"] == "buergeramt" and "Standesamt" in hits[0]["label"]
    with_link = client.get(f"/ogc/collections/buergeramt/items/{hits[0]['id']}?f=json").get_json()
    assert with_link["properties"]["online_url"].startswith("https://")
    popup = yaml.safe_load((PROJECT_ROOT / "layers" / "buergeramt.yaml").read_text())
    titles = {a["name"]: a.get("title") for a in popup["attributes"]}
    assert "online_url" in popup["popup"] and titles["online_url"] == "online beantragen"
    offices = client.get("/dienste/buergeramt").get_data(as_text=True)
    assert "Standesamt Hameln" in offices and "geburtsurkunde-online" in offices
