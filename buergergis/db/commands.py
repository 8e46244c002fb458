"""``buergergis db start|stop|status|psql|url`` and ``buergergis migrate``."""

from __future__ import annotations

import os

import click

from buergergis.cli import Context, pass_ctx
from buergergis.db import cluster


@click.group("db")
def db_group() -> None:
    """Die Datenbank: privater PostgreSQL-Cluster unter var/pg oder DATABASE_URL."""


@db_group.command("start")
@pass_ctx
def start_command(ctx: Context) -> None:
    """Cluster anlegen (beim ersten Mal) und starten; Datenbank mit PostGIS sicherstellen."""
    settings = ctx.settings
    if settings.database_url:
        cluster.ensure_database(settings)
        click.echo(f"DATABASE_URL ist gesetzt, kein privater Cluster nötig: {_shown_url(ctx)}")
        return
    state = cluster.start(settings)
    click.echo(f"PostgreSQL läuft (PID {state.pid}, Port {state.port}): {state.url}")


@db_group.command("stop")
@pass_ctx
def stop_command(ctx: Context) -> None:
    """Den privaten Cluster anhalten."""
    if ctx.settings.database_url:
        click.echo("DATABASE_URL ist gesetzt, es gibt keinen privaten Cluster zu stoppen.")
        return
    stopped = cluster.stop(ctx.settings)
    click.echo("PostgreSQL gestoppt." if stopped else "PostgreSQL lief nicht.")


@db_group.command("status")
@pass_ctx
def status_command(ctx: Context) -> None:
    """Zeigt, ob der private Cluster läuft (Exit-Code 3, wenn nicht)."""
    if ctx.settings.database_url:
        click.echo(f"DATABASE_URL: {_shown_url(ctx)}")
        return
    state = cluster.status(ctx.settings)
    click.echo(f"angelegt:     {'ja' if state.initialized else 'nein'} ({state.data_dir})")
    click.echo(f"läuft:        {'ja, PID ' + str(state.pid) if state.running else 'nein'}")
    click.echo(f"Port:         127.0.0.1:{state.port}")
    click.echo(f"Socket:       {state.socket_dir}")
    click.echo(f"URL:          {state.url}")
    if not state.running:
        raise SystemExit(3)


@db_group.command(
    "psql", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_ctx
def psql_command(ctx: Context, args: tuple[str, ...]) -> None:
    """psql mit der BürgerGIS-Datenbank verbinden; weitere Argumente gehen an psql."""
    settings = ctx.settings
    if not settings.database_url and not cluster.status(settings).running:
        raise click.ClickException("Der Cluster läuft nicht – bitte `buergergis db start`.")
    argv = [*cluster.psql_args(settings), *args]
    os.execv(argv[0], argv)


@db_group.command("url")
@click.option("--tcp", is_flag=True, help="TCP-URL mit Passwort (für pygeoapi, ogr2ogr …).")
@pass_ctx
def url_command(ctx: Context, tcp: bool) -> None:
    """Die libpq-URL der Datenbank ausgeben."""
    settings = ctx.settings
    click.echo(cluster.tcp_url(settings) if tcp else settings.libpq_url())


@click.command("migrate")
@pass_ctx
def migrate_command(ctx: Context) -> None:
    """Datenbank sicherstellen und das Schema auf den neuesten Stand bringen."""
    from buergergis.db.migrate import upgrade

    cluster.ensure_database(ctx.settings)
    upgrade(ctx.settings)
    click.echo("Datenbankschema ist aktuell.")


def _shown_url(ctx: Context) -> str:
    return cluster.redact(ctx.settings.libpq_url())
