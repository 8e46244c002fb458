"""Address search over the index ``buergergis.search_entry`` against real PostGIS.

Spelling variants of addresses and umlauts, the matched field, the index kept in step with
every version change (load, edit, rollback, reload, becoming private) and privacy.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.catalog.models import Attribute, Source, Style, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store import history, lifecycle, search
from buergergis.store.services.edits import edit_feature
from buergergis.store.sql import layer_view


def results(client: FlaskClient, q: str, **params: str) -> list[dict[str, Any]]:
    response = client.get("/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["results"])


@pytest.mark.parametrize(
    "query",
    ["Osterstraße 2", "osterstr. 2", "Osterstrasse 2", "OSTERSTR 2", "osterstraße  2,"],
)
def test_address_spellings_find_the_same_address_first(
    client: FlaskClient, demo_layers: list[str], query: str
) -> None:
    hits = results(client, query)
    assert hits, query
    first = hits[0]
    assert (first["layer"], first["label"]) == ("adressen", "Osterstraße 2"), hits[:3]
    assert first["matched"]["field"] == "adresse"
    assert first["matched"]["title"] == "Adresse"


def test_address_search_position_is_the_address_point(
    client: FlaskClient, engine: Engine, demo_layers: list[str]
) -> None:
    first = results(client, "Osterstraße 2", layers="adressen")[0]
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(geom, 4326) p FROM {layer_view('adressen')}"  # noqa: S608
                " WHERE adresse = 'Osterstraße 2') s"
            )
        ).one()
    assert first["lon"] == pytest.approx(lon, abs=1e-6)
    assert first["lat"] == pytest.approx(lat, abs=1e-6)


@pytest.mark.parametrize(
    ("variants", "label"),
    [
        (("muhlenweg 3", "muehlenweg 3", "Mühlenweg 3"), "Mühlenweg 3"),
        (("Backerstrasse 5", "Baeckerstr. 5", "Bäckerstraße 5"), "Bäckerstraße 5"),
        (("Sunteltal", "Suenteltal", "Sünteltal"), None),
    ],
)
def test_umlauts_fold_both_ways(
    client: FlaskClient, demo_layers: list[str], variants: tuple[str, ...], label: str | None
) -> None:
    tops = [results(client, v)[:5] for v in variants]
    keys = [[(h["layer"], h["id"]) for h in top] for top in tops]
    assert keys[0] and keys[0] == keys[1] == keys[2], keys
    if label:
        assert tops[0][0]["label"] == label


def test_result_says_which_field_matched(client: FlaskClient, demo_layers: list[str]) -> None:
    hit = results(client, "Muhle", layers="adressen")[0]
    assert "Mühle" in hit["label"]
    assert hit["matched"] == {"field": "adresse", "title": "Adresse", "value": hit["label"]}
    by_district = results(client, "Kernstadt", layers="adressen")
    assert by_district and all(
        h["matched"] == {"field": "ortsteil", "title": "Ortsteil", "value": "Kernstadt"}
        for h in by_district
    )
    english = client.get("/search?q=Kernstadt&layers=adressen&lang=en").get_json()["results"]
    assert english[0]["matched"]["title"] == "District"


def test_search_reads_the_index_not_the_layer_tables() -> None:
    tiers = f"({search._PREFIX}) UNION ALL ({search._tier_all_words(['osterstr', '2'])})"
    sql = search.search_sql(tiers)
    assert "buergergis.search_entry" in sql
    assert "layers." not in sql and "layerdata." not in sql


def test_the_index_serves_both_candidate_tiers(engine: Engine, demo_layers: list[str]) -> None:
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        params = search._params("osterstr 2", ["adressen"], 10)
        for tier in (search._PREFIX, search._tier_all_words(["osterstr", "2"])):
            plan = "\n".join(conn.execute(text("EXPLAIN " + tier), params).scalars())
            assert re.search(
                r"Index Scan (using|on) search__adressen__v\d+_(doc|label_key)_idx", plan
            ), plan


def entries(engine: Engine, layer_id: str) -> tuple[int, set[int], set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT version, label FROM buergergis.search_entry WHERE layer_id = :id"),
            {"id": layer_id},
        ).all()
    return len(rows), {r.version for r in rows}, {r.label for r in rows}


def parts(engine: Engine, layer_id: str) -> list[str]:
    """The partitions of ``search_entry`` holding this layer (exactly one while it is live)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'buergergis.search_entry'::regclass"
                    " AND c.relname LIKE :pattern ORDER BY 1"
                ),
                {"pattern": f"search\\_\\_{layer_id}\\_\\_v%"},
            ).scalars()
        )


def live_version(engine: Engine, layer_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT version FROM buergergis.layer WHERE id = :id"), {"id": layer_id}
            ).scalar_one()
        )


def write_points(path: Path, names: list[str]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"nr": f"n{i}", "name": name},
            "geometry": {"type": "Point", "coordinates": [9.35 + i * 0.001, 52.1]},
        }
        for i, name in enumerate(names)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def definition(layer_id: str, path: Path, public: bool = True) -> VectorLayer:
    return VectorLayer(
        id=layer_id,
        title="Suchprobe",
        source=Source(path=str(path), format="geojson"),
        id_column="nr",
        public=public,
        attributes=(Attribute(name="nr"), Attribute(name="name", title="Name")),
        style=Style(label="name"),
        search=("name",),
    )


def test_index_follows_load_edit_rollback_reload_and_privacy(
    client: FlaskClient, engine: Engine, settings: Settings
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="search-probe-"))
    layer = "suchprobe"
    load_layer(engine, settings, definition(layer, write_points(folder / "a.geojson",
                                                                ["Quokkahaus", "Wombatweg"])))  # fmt: skip
    first = live_version(engine, layer)
    assert entries(engine, layer) == (2, {first}, {"Quokkahaus", "Wombatweg"})
    assert [h["id"] for h in results(client, "quokka")] == ["n0"]

    with engine.begin() as conn:
        edit_feature(conn, layer, "n0", {"name": "Kängurustall"}, actor="test", keep=5)
    edited = live_version(engine, layer)
    assert entries(engine, layer) == (2, {edited}, {"Kängurustall", "Wombatweg"})
    assert results(client, "quokka", layers=layer) == []
    assert [h["label"] for h in results(client, "kaenguru")] == ["Kängurustall"]

    with engine.begin() as conn:
        history.rollback(conn, layer, first, actor="test", keep=5)
    assert entries(engine, layer)[1:] == (
        {live_version(engine, layer)},
        {"Quokkahaus", "Wombatweg"},
    )
    assert results(client, "kaenguru", layers=layer) == []

    load_layer(engine, settings, definition(layer, write_points(folder / "b.geojson", ["Emuhof"])))
    assert entries(engine, layer)[0::2] == (1, {"Emuhof"})
    built = parts(engine, layer)
    assert built == [f"search__{layer}__v{live_version(engine, layer)}"]

    renamed = definition(layer, folder / "b.geojson").model_copy(update={"title": "Neu"})
    with engine.begin() as conn:  # same data, same fields: the part is kept, not rebuilt
        lifecycle.change_definition(conn, renamed, actor="test", action="definition")
    assert parts(engine, layer) == built
    assert [h["label"] for h in results(client, "emuhof")] == ["Emuhof"]
    wider = renamed.model_copy(update={"search": ("name", "nr")})
    with engine.begin() as conn:  # other fields: rebuilt
        lifecycle.change_definition(conn, wider, actor="test", action="definition")
    assert parts(engine, layer) == [f"search__{layer}__v{live_version(engine, layer)}"] != built
    assert [h["id"] for h in results(client, "n0", layers=layer)] == ["n0"]
    assert [h["label"] for h in results(client, "emuhof")] == ["Emuhof"]

    load_layer(engine, settings, definition(layer, folder / "b.geojson", public=False))
    assert entries(engine, layer)[0] == 1  # still indexed (for staff), …
    assert all(
        h["layer"] != layer for h in results(client, "emuhof")
    )  # … never shown to the public
    with engine.connect() as conn:
        records = [search_record(conn, layer)]
        assert search.search(conn, records, "emuhof", 5) == []


def search_record(conn: Any, layer_id: str) -> Any:
    from buergergis.store.catalog import get_layer

    record = get_layer(conn, layer_id, include_private=True)
    assert record is not None
    return record


def test_a_loaded_layer_has_planner_statistics_for_its_search_part(
    engine: Engine, settings: Settings
) -> None:
    """Without them the planner guessed a few rows for a prefix that matches thousands."""
    from buergergis.store.search_index import part_name

    layer = "suchprobe-statistik"
    path = write_points(Path(tempfile.mkdtemp(prefix="search-stats-")) / "p.geojson", ["Eins"])
    load_layer(engine, settings, definition(layer, path))
    try:
        with engine.connect() as conn:
            version = search_record(conn, layer).version
            columns = conn.execute(
                text(
                    "SELECT attname FROM pg_stats WHERE schemaname = 'buergergis'"
                    " AND tablename = :part ORDER BY attname"
                ),
                {"part": part_name(layer, version)},
            ).scalars()
            assert {"doc", "label_key", "layer_id"} <= set(columns)
    finally:
        with engine.begin() as conn:
            lifecycle.delete(conn, layer, actor="test")
        with engine.begin() as conn:
            lifecycle.purge(conn, layer)


def _gate(name: str) -> Any:
    from buergergis.web.gate import Gate

    return Gate(name, "Die Suche ist gerade stark gefragt.", "Search is busy.")


def test_gate_slots_are_shared_through_the_database(engine: Engine) -> None:
    """Two gates of one name stand for two worker processes: the slot lives in PostgreSQL."""
    from buergergis.errors import Unavailable

    name = f"test.gate.{uuid.uuid4()}"
    first, second = _gate(name), _gate(name)
    with engine.connect() as holder, first.enter(holder, 1, 8, 3.0):
        with (
            engine.connect() as other,
            pytest.raises(Unavailable) as refused,
            second.enter(other, 1, 8, 0.1),
        ):
            pass
        assert refused.value.description == "Die Suche ist gerade stark gefragt."
        with engine.connect() as other, second.enter(other, 2, 8, 0.1):  # a second slot
            pass
    with engine.connect() as other, second.enter(other, 1, 8, 0.1):  # released at the end
        pass


def test_gate_lets_a_waiting_search_through_when_the_slot_frees(engine: Engine) -> None:
    name = f"test.gate.{uuid.uuid4()}"
    gate = _gate(name)
    held, passed = threading.Event(), threading.Event()

    def hold_briefly() -> None:
        with engine.connect() as conn, gate.enter(conn, 1, 8, 3.0):
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    held.wait(5)
    with engine.connect() as conn, gate.enter(conn, 1, 8, 10.0):
        passed.set()
    holder.join()
    assert passed.is_set()


def test_gate_refuses_at_once_beyond_the_process_queue(engine: Engine) -> None:
    """More than ``queue`` searches in one process: 503 without waiting for the database."""
    from buergergis.errors import Unavailable

    gate = _gate(f"test.gate.{uuid.uuid4()}")
    with (
        engine.connect() as conn,
        gate.enter(conn, 4, 1, 3.0),
        engine.connect() as other,
        pytest.raises(Unavailable),
        gate.enter(other, 4, 1, 3.0),  # a slot is free, the process queue is not
    ):
        pass
    with engine.connect() as conn, gate.enter(conn, 4, 1, 3.0):  # counted down again
        pass


def test_search_during_a_held_slot_is_a_503_with_retry_after(
    settings: Settings, engine: Engine, demo_layers: list[str]
) -> None:
    from buergergis import create_app
    from buergergis.web import gate

    app = create_app(
        {"database_url": settings.database_url, "var_dir": settings.var,
         "secret_key": "test-secret", "search_wait_s": 0.2}
    )  # fmt: skip
    client = app.test_client()
    assert client.get("/search?q=Osterstraße 2").status_code == 200
    with engine.connect() as holder, gate.SEARCH.enter(holder, 1, 8, 1.0):
        refused = client.get("/search?q=Osterstraße 2")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert "Die Suche ist gerade stark gefragt" in refused.get_data(as_text=True)
    assert client.get("/search?q=Osterstraße 2").status_code == 200


def test_search_answers_304_without_searching(
    client: FlaskClient, demo_layers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get("/search?q=Osterstraße 2")
    calls: list[str] = []
    real = search.search
    monkeypatch.setattr(search, "search", lambda c, r, q, n: calls.append(q) or real(c, r, q, n))
    again = client.get("/search?q=Osterstraße 2", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert calls == []
    assert client.get("/search?q=Osterstraße 2").status_code == 200
    assert calls == ["Osterstraße 2"]  # the spy sees real searches


def test_deleted_layers_are_not_found_and_purge_drops_their_part(
    client: FlaskClient, engine: Engine, settings: Settings
) -> None:
    layer = "suchprobe-weg"
    path = write_points(Path(tempfile.mkdtemp(prefix="search-purge-")) / "p.geojson", ["Dingohaus"])
    load_layer(engine, settings, definition(layer, path))
    assert [h["label"] for h in results(client, "dingohaus")] == ["Dingohaus"]
    with engine.begin() as conn:
        lifecycle.delete(conn, layer, actor="test")
    assert results(client, "dingohaus") == []
    with engine.begin() as conn:
        lifecycle.restore(conn, layer, actor="test")
    assert [h["label"] for h in results(client, "dingohaus")] == ["Dingohaus"]
    with engine.begin() as conn:
        lifecycle.delete(conn, layer, actor="test")
    with engine.begin() as conn:
        lifecycle.purge(conn, layer)
    assert parts(engine, layer) == []
