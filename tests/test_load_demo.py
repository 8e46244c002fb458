"""``buergergis load --all`` on the demo data: every layer live; ``--changed`` skips the unchanged."""

from __future__ import annotations

from sqlalchemy import Engine, text

from buergergis.catalog.parse import load_definitions
from buergergis.settings import Settings
from tests.ingest_helpers import run_cli


def test_load_all_then_changed_skips(demo_settings: Settings, engine: Engine) -> None:
    ids = {d.id for d in load_definitions(demo_settings.layers_path, demo_settings.root)}
    first = run_cli(demo_settings, "load", "--all")
    assert first.code == 0, first.output
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, version, kind, feature_count FROM buergergis.layer WHERE origin = 'yaml'"
            )
        ).all()
    live = {r.id: r for r in rows if r.version > 0}
    assert ids <= set(live)
    assert all(r.feature_count > 0 for r in live.values() if r.kind == "vector" and r.id in ids)
    second = run_cli(demo_settings, "load", "--all", "--changed")
    assert second.code == 0 and second.output.count("unverändert") == len(ids), second.output
    with engine.connect() as conn:
        again = dict(conn.execute(text("SELECT id, version FROM buergergis.layer")).all())
    assert all(again[i] == live[i].version for i in ids)


def test_unknown_layer_id_is_a_usage_error(demo_settings: Settings) -> None:
    result = run_cli(demo_settings, "load", "gibtsnicht")
    assert result.code != 0 and "Unbekannte Layer: gibtsnicht" in result.output
