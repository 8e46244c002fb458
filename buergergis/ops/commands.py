"""CLI: ``buergergis backup DIR`` and ``buergergis restore DIR [--force]``."""

from __future__ import annotations

from pathlib import Path

import click

from buergergis.cli import Context, pass_ctx


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def backup_command(ctx: Context, directory: Path) -> None:
    """Datenbank und Dateien (COGs, Uploads, Anhänge, Schlüssel) in einen neuen Ordner sichern."""
    from buergergis.ops.backup import backup

    summary = backup(ctx.settings, directory)
    click.echo(
        f"Gesichert nach {summary.path}: {len(summary.layers)} Layer, {summary.files} Dateien, "
        f"{summary.bytes / 1e6:.1f} MB."
    )


@click.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Vorhandene BürgerGIS-Daten der Datenbank ersetzen.")
@pass_ctx
def restore_command(ctx: Context, directory: Path, force: bool) -> None:
    """Eine Sicherung in die konfigurierte Datenbank und den Dateibestand zurückspielen."""
    from buergergis.ops.backup import restore

    layers = restore(ctx.settings, directory, force=force)
    click.echo(f"Wiederhergestellt: {len(layers)} Layer aus {directory}.")


@click.command("settings")
def settings_command() -> None:
    """Alle Einstellungen (Umgebungsvariablen) als Markdown-Tabelle ausgeben."""
    from buergergis.ops.settings_doc import settings_markdown

    click.echo(settings_markdown())
