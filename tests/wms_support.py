"""Shared fixtures of the WMS/WMTS/CSW tests: a few demo layers and a private copy."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import Engine, text

from buergergis.catalog.models import VectorLayer
from buergergis.catalog.parse import load_definition_file
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings

#: Demo layers served in the tests: points with one colour, polygons by status, a raster ramp.
LAYERS = ("kitas", "holzverkauf", "gelaende-farbe")
PRIVATE = "kitas-intern"
_loaded: dict[str, list[str]] = {}


def load_wms_layers(engine: Engine, settings: Settings) -> list[str]:
    """Load the demo layers and a private copy of the Kitas once per database."""
    key = str(settings.database_url)
    if key not in _loaded:
        for layer_id in LAYERS:
            path = settings.layers_path / f"{layer_id}.yaml"
            load_layer(engine, settings, load_definition_file(path, settings.root))
        kitas = load_definition_file(settings.layers_path / "kitas.yaml", settings.root)
        assert isinstance(kitas, VectorLayer)
        private = kitas.model_copy(
            update={"id": PRIVATE, "title": "Kitas (intern)", "public": False}
        )
        load_layer(engine, settings, private)
        _loaded[key] = [*LAYERS, PRIVATE]
    return _loaded[key]


@dataclass(frozen=True)
class Spot:
    """A feature and a point well inside it (EPSG:25832 and WGS84)."""

    fid: str
    x: float
    y: float
    lon: float
    lat: float


def kita(engine: Engine, layer_id: str = "kitas") -> Spot:
    """The first Kita (by fid)."""
    sql = (
        "SELECT fid, ST_X(geom) x, ST_Y(geom) y, ST_X(ST_Transform(geom, 4326)) lon,"  # noqa: S608
        f' ST_Y(ST_Transform(geom, 4326)) lat FROM layers."{layer_id}" ORDER BY fid LIMIT 1'
    )
    with engine.connect() as conn:
        row = conn.execute(text(sql)).one()
    return Spot(row.fid, row.x, row.y, row.lon, row.lat)


def free_lot(engine: Engine) -> tuple[Spot, float]:
    """The 'frei' wood lot with the widest inside, its centre and the inner radius (m)."""
    sql = """
        WITH c AS (SELECT fid, (ST_MaximumInscribedCircle(geom)).* FROM layers.holzverkauf
                   WHERE status = 'frei')
        SELECT fid, ST_X(center) x, ST_Y(center) y, radius,
               ST_X(ST_Transform(center, 4326)) lon, ST_Y(ST_Transform(center, 4326)) lat
        FROM c ORDER BY radius DESC LIMIT 1"""
    with engine.connect() as conn:
        row = conn.execute(text(sql)).one()
    return Spot(row.fid, row.x, row.y, row.lon, row.lat), row.radius


def rgba(png: bytes, x: int, y: int) -> tuple[int, int, int, int]:
    """The RGBA value of one pixel of a PNG."""
    with Image.open(io.BytesIO(png)) as image:
        value = image.convert("RGBA").getpixel((x, y))
    assert isinstance(value, tuple)
    return (value[0], value[1], value[2], value[3])


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` → (r, g, b)."""
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 4) -> bool:
    """Whether two colours agree channel by channel within ``tolerance``."""
    return all(abs(p - q) <= tolerance for p, q in zip(a, b, strict=True))
