"""CLI: ``buergergis load``, ``buergergis import`` and ``buergergis schema``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from buergergis.catalog.models import RasterLayer, Source, VectorLayer, slugify
from buergergis.catalog.parse import json_schema, load_definitions, parse_definition
from buergergis.cli import Context, pass_ctx
from buergergis.errors import BuergerGISError, DefinitionError
from buergergis.ingest.sources import guess_kind
from buergergis.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


@click.command("load")
@click.argument("layer_ids", nargs=-1)
@click.option("--all", "load_all", is_flag=True, help="Alle Layer aus layers/ laden.")
@click.option("--changed", is_flag=True, help="Nur Layer laden, deren Quelle sich geändert hat.")
@pass_ctx
def load_command(ctx: Context, layer_ids: tuple[str, ...], load_all: bool, changed: bool) -> None:
    """Layer aus ihren Definitionen in layers/*.yaml laden (LAYER_IDS oder --all)."""
    settings = ctx.settings
    if not layer_ids and not load_all:
        raise click.UsageError("Layer-IDs angeben oder --all.")
    definitions = {d.id: d for d in load_definitions(settings.layers_path, settings.root)}
    unknown = sorted(set(layer_ids) - set(definitions))
    if unknown:
        raise click.UsageError(f"Unbekannte Layer: {', '.join(unknown)}")
    selected = [definitions[i] for i in (layer_ids or sorted(definitions))]
    from buergergis.db.engine import make_engine

    engine = make_engine(settings, application_name="buergergis-load")
    try:
        failures = _load_all(engine, settings, selected, changed)
    finally:
        engine.dispose()
    if failures:
        raise SystemExit(1)


def _load_all(
    engine: Engine, settings: Settings, selected: list[VectorLayer | RasterLayer], changed: bool
) -> int:
    from buergergis.ingest.pipeline import load_layer

    failures = 0
    for definition in selected:
        if changed and _unchanged(engine, settings, definition):
            click.echo(f"{definition.id}: unverändert, übersprungen")
            continue
        try:
            result = load_layer(engine, settings, definition, show_progress=True)
        except BuergerGISError as exc:
            failures += 1
            click.echo(
                f"{definition.id}: FEHLER – {exc.description} (bisherige Version bleibt aktiv)",
                err=True,
            )
            continue
        click.echo(f"{result.report.summary()}\n  → Version {result.version} ist live")
    return failures


def _unchanged(engine: Engine, settings: Settings, definition: VectorLayer | RasterLayer) -> bool:
    from buergergis.ingest.freshness import is_unchanged

    return is_unchanged(engine, settings, definition)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--id", "layer_id", help="Layer-ID (Standard: aus dem Dateinamen).")
@click.option("--crs", help="KBS, falls die Quelle keins hat, z. B. EPSG:25832.")
@click.option("--encoding", help="Zeichenkodierung, z. B. cp1252.")
@click.option("--layer", help="Layer in Dateien mit mehreren Layern (GeoPackage, ZIP).")
@click.option("--title", help="Titel (Standard: Dateiname).")
@click.option("--category", default="Sonstiges", show_default=True)
@click.option(
    "--public/--private", default=True, help="Öffentlich sichtbar (Standard) oder privat."
)
@pass_ctx
def import_command(
    ctx: Context,
    file: Path,
    layer_id: str | None,
    crs: str | None,
    encoding: str | None,
    layer: str | None,
    title: str | None,
    category: str,
    public: bool,
) -> None:
    """Einen Layer direkt aus einer Datei anlegen oder ersetzen."""
    settings = ctx.settings
    layer_id = layer_id or slugify(file.stem)
    data = {
        "id": layer_id,
        "title": title or file.stem,
        "category": category,
        "public": public,
        "source": Source(
            path=str(file.resolve()), crs=crs, encoding=encoding, layer=layer
        ).model_dump(exclude_none=True),
    }
    data["kind"] = guess_kind(file)
    definition = parse_definition(data, f"--id {layer_id}")
    if isinstance(definition, VectorLayer) and layer_id in _yaml_ids(settings):
        raise DefinitionError(
            f"'{layer_id}' ist in layers/ definiert; bitte 'buergergis load {layer_id}' nutzen."
        )
    from buergergis.db.engine import make_engine
    from buergergis.ingest.pipeline import load_layer

    engine = make_engine(settings, application_name="buergergis-import")
    try:
        result = load_layer(
            engine, settings, definition, origin="import", action="import", show_progress=True
        )
    finally:
        engine.dispose()
    click.echo(f"{result.report.summary()}\n  → Version {result.version} ist live")
    for warning in result.warnings:
        click.echo(f"Warnung: {warning}", err=True)


def _yaml_ids(settings: Settings) -> set[str]:
    return {p.stem for p in settings.layers_path.glob("*.yaml")}


@click.command("schema")
@click.option("--output", type=click.Path(path_type=Path), help="Datei statt Standardausgabe.")
def schema_command(output: Path | None) -> None:
    """Das JSON Schema des Layer-Formats ausgeben."""
    text = json_schema()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
