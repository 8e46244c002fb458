"""CLI: ``buergergis extern`` — check the external layer definitions before a restart."""

from __future__ import annotations

import click

from buergergis.cli import Context, pass_ctx
from buergergis.extern.registry import load_registry


@click.command("extern")
@pass_ctx
def extern_command(ctx: Context) -> None:
    """Externe Ebenen (kind: external) in layers/ prüfen und auflisten (Freigabeliste
    BUERGERGIS_EXTERN_HOSTS); Fehler mit Datei und Feld, Rückgabewert 1."""
    settings = ctx.settings
    registry = load_registry(settings)
    for layer in registry.layers:
        extras = [f for f in ("legend", "featureinfo") if getattr(layer.extern, f)]
        info = f" ({', '.join(extras)})" if extras else ""
        click.echo(f"{layer.id}: {layer.extern.type.upper()} {layer.extern.netloc}{info} – ok")
    for problem in registry.problems:
        click.echo(f"FEHLER – {problem}", err=True)
    if not registry.layers and not registry.problems:
        click.echo("Keine externen Ebenen in " + str(settings.layers_path))
    if registry.problems:
        raise SystemExit(1)
