"""The example notebook runs top to bottom against the live service (no other network)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from sqlalchemy import Engine, text

from buergergis.settings import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "notebooks" / "ogc_geopandas.ipynb"


@pytest.fixture(scope="module")
def executed(
    map_server: str, demo_layers: list[str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[nbformat.NotebookNode, Path]:
    out = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BUERGERGIS_URL", map_server)
        mp.setenv("BUERGERGIS_NOTEBOOK_OUT", str(out))
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(out)}}
        ).execute()
    return nb, out


def summary(nb: nbformat.NotebookNode) -> dict[str, object]:
    text_out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    result: dict[str, object] = json.loads(text_out.strip().splitlines()[-1])
    return result


def test_notebook_reads_layers_through_the_ogc_api(
    executed: tuple[nbformat.NotebookNode, Path], engine: Engine
) -> None:
    nb, _ = executed
    data = summary(nb)
    with engine.connect() as conn:
        kitas = conn.execute(text('SELECT count(*), sum(plaetze) FROM layers."kitas"')).one()
        ortsteile = conn.execute(text('SELECT count(*) FROM layers."ortsteile"')).scalar()
    assert (
        data["kitas"] == kitas[0] and data["plaetze"] == kitas[1] and data["ortsteile"] == ortsteile
    )
    assert 0 < int(data["ortsteile_mit_kitas"]) <= ortsteile  # type: ignore[call-overload]


def test_notebook_saves_a_folium_map_without_cdn_links(
    executed: tuple[nbformat.NotebookNode, Path], map_server: str
) -> None:
    nb, out = executed
    page = (out / "kitas_karte.html").read_text()
    assets = re.findall(r"""<(?:script|link)\b[^>]*(?:src|href)="([^"]+)\"""", page)
    assert assets and all(a.startswith(f"{map_server}/static/vendor/") for a in assets), assets
    assert f"{map_server}/tiles/gelaende/" in page
    assert page.count("L.circleMarker(") == summary(nb)["kitas"]
