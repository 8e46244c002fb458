"""``buergergis backup`` / ``restore``: a backup restores into a fresh private cluster with the
same layers, versions, accounts, requests, audit log and file state; a damaged backup or a
non-empty target changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from buergergis.errors import Conflict
from buergergis.ops.backup import BackupError, backup, restore
from buergergis.settings import Settings
from tests.admin_support import make_staff
from tests.ingest_helpers import run_cli
from tests.server_support import own_cluster

#: Row counts of these queries must match between the source and the restored database.
CHECKS = {
    "layers": "SELECT string_agg(id || '@' || version, ',' ORDER BY id) FROM buergergis.layer",
    "versions": "SELECT count(*) FROM buergergis.layer_version",
    "accounts": "SELECT string_agg(name || ':' || role, ',' ORDER BY name) FROM buergergis.account",
    "audit": "SELECT count(*) || '/' || max(id) FROM buergergis.audit_log",
    "requests": "SELECT string_agg(reference || ':' || name, ',' ORDER BY id) FROM buergergis.anfrage",
    "ortsteile": 'SELECT count(*) FROM layers."ortsteile"',
}


def _state(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in CHECKS.items()}  # type: ignore[index]


@pytest.fixture()
def fresh_cluster(demo_root: Path) -> Iterator[Settings]:
    """An empty private cluster of its own (no tables of BürgerGIS yet)."""
    with own_cluster("restore", demo_root, migrate=False) as settings:
        yield settings


@pytest.mark.slow
@pytest.mark.usefixtures("demo_layers")
def test_backup_restores_into_a_fresh_cluster(
    settings: Settings, engine: Engine, fresh_cluster: Settings, tmp_path: Path
) -> None:
    make_staff(engine, "editor", prefix="backup")  # an account, a token, audit entries
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO buergergis.anfrage (reference, secret_hash, layer_id, fid, kind, name,"
                " kontakt) VALUES ('HV-2026-999999', 'x', 'holzverkauf', 'L-1', 'kaufanfrage',"
                " 'Erika Mustermann', 'erika@example.org')"
            )
        )
    (settings.var / "secret_key").write_text("geheim-fuer-die-sicherung")
    before = _state(settings.libpq_url())
    summary = backup(settings, tmp_path / "sicherung")
    assert "gelaende" in summary.layers and summary.files >= 2  # a COG and the secret

    layers = restore(fresh_cluster, tmp_path / "sicherung")
    assert layers == summary.layers
    assert _state(fresh_cluster.libpq_url()) == before
    cog = next((tmp_path / "sicherung" / "files" / "raster" / "gelaende").glob("v*.tif"))
    restored = fresh_cluster.shared / "raster" / "gelaende" / cog.name
    assert restored.read_bytes() == cog.read_bytes()
    assert (fresh_cluster.var / "secret_key").read_text() == "geheim-fuer-die-sicherung"

    # A second restore into the same database is refused and changes nothing …
    with pytest.raises(Conflict):
        restore(fresh_cluster, tmp_path / "sicherung")
    assert _state(fresh_cluster.libpq_url()) == before
    # … and a damaged backup is refused before anything is touched.
    (tmp_path / "sicherung" / "database.dump").write_bytes(b"kaputt")
    with pytest.raises(BackupError, match="beschädigt"):
        restore(fresh_cluster, tmp_path / "sicherung", force=True)
    assert _state(fresh_cluster.libpq_url()) == before


def test_backup_refuses_a_folder_that_is_not_empty(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "alt.txt").write_text("x")
    result = run_cli(settings, "backup", str(tmp_path))
    assert result.code != 0 and "nicht leer" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alt.txt"]
