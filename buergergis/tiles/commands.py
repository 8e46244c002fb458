"""CLI: ``buergergis tiles seed|export|sweep``."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from buergergis.cli import Context, pass_ctx
from buergergis.db.engine import make_engine
from buergergis.tiles.archive import export
from buergergis.tiles.grid import parse_bbox, parse_zoom_range
from buergergis.tiles.provider import TileProvider, parse_layer_list
from buergergis.tiles.seed import TilePlan, make_plan, seed


def _service(ctx: Context) -> TileProvider:
    return TileProvider(
        make_engine(ctx.settings, application_name="buergergis-tiles"), ctx.settings
    )


def _plan(
    service: TileProvider, layers: str, zoom: str | None, bbox: str | None, fmt: str | None
) -> TilePlan:
    records, _public = service.resolve(parse_layer_list(layers), lambda: True)
    return make_plan(
        records,
        parse_zoom_range(zoom) if zoom else None,
        parse_bbox(bbox) if bbox else None,
        fmt,
    )


_ZOOM = click.option("--zoom", help="Zoombereich, z. B. 10-16 (Standard: Layer-Minimum bis 14).")
_BBOX = click.option("--bbox", help="Nur dieser Ausschnitt: west,süd,ost,nord in Grad (WGS84).")
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["mvt", "png", "webp"]), help="Kachelformat."
)


@click.group("tiles")
def tiles_group() -> None:
    """Kacheln vorberechnen, als Archiv exportieren, Cache aufräumen."""


@tiles_group.command("seed")
@click.argument("layers")
@_ZOOM
@_BBOX
@_FORMAT
@click.option("--jobs", default=2, show_default=True, help="Gleichzeitig berechnete Kacheln.")
@pass_ctx
def seed_command(
    ctx: Context, layers: str, zoom: str | None, bbox: str | None, fmt: str | None, jobs: int
) -> None:
    """Den Kachel-Cache für LAYERS (z. B. 'parks' oder 'parks,baeume') vorab füllen."""
    service = _service(ctx)
    plan = _plan(service, layers, zoom, bbox, fmt)
    with tqdm(total=plan.count, unit=" Kacheln", desc=layers) as bar:
        result = seed(service, plan, jobs=jobs, progress=bar.update)
    click.echo(
        f"{result.tiles} Kacheln (Zoom {plan.minzoom}–{plan.maxzoom}) im Cache, "
        f"davon {result.empty} leer; {result.bytes / 1e6:.1f} MB"
    )


@tiles_group.command("export")
@click.argument("layers")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@_ZOOM
@_BBOX
@_FORMAT
@pass_ctx
def export_command(
    ctx: Context, layers: str, target: Path, zoom: str | None, bbox: str | None, fmt: str | None
) -> None:
    """LAYERS als TARGET.pmtiles oder TARGET.mbtiles schreiben (für CDN oder Offline-Nutzung)."""
    service = _service(ctx)
    plan = _plan(service, layers, zoom, bbox, fmt)
    with tqdm(total=plan.count, unit=" Kacheln", desc=target.name) as bar:
        result = export(service, plan, target, progress=bar.update)
    click.echo(
        f"{result.path}: {result.tiles} Kacheln (Zoom {plan.minzoom}–{plan.maxzoom}), "
        f"{result.bytes / 1e6:.1f} MB"
    )


@tiles_group.command("sweep")
@pass_ctx
def sweep_command(ctx: Context) -> None:
    """Kacheln alter Layer-Versionen löschen und den Cache auf seine Größe begrenzen."""
    service = _service(ctx)
    freed = service.sweep()
    click.echo(f"{freed / 1e6:.1f} MB freigegeben, Cache jetzt {service.cache.size() / 1e6:.1f} MB")


COMMANDS = [tiles_group]
