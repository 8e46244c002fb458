"""``buergergis cluster …``: the replication parts of ``make cluster`` (scripts/cluster.sh)."""

from __future__ import annotations

import click

from buergergis.cli import Context, pass_ctx
from buergergis.db import standby

_PORT = click.option(
    "--port", type=int, default=None, help="Port des Replikats (Standard: Primärport + 1)."
)


@click.group("cluster")
def cluster_group() -> None:
    """Mehrere Rechner auf einem: Replikat des privaten Clusters (für make cluster)."""


@cluster_group.command("replica-start")
@_PORT
@pass_ctx
def replica_start(ctx: Context, port: int | None) -> None:
    """Replikat per pg_basebackup anlegen und starten (ein laufendes bleibt); gibt seine URL aus."""
    settings = ctx.settings
    if settings.database_url:
        raise click.ClickException(
            "DATABASE_URL ist gesetzt: das Replikat richtet dann der Datenbankbetrieb ein "
            "(BUERGERGIS_REPLICA_URL setzen)."
        )
    target = standby.Standby.of(settings, port)
    if not (standby.running(target) and standby.streaming(settings)):
        standby.create(settings, target)
        standby.start(settings, target)
    click.echo(target.url(settings))


@cluster_group.command("replica-stop")
@_PORT
@pass_ctx
def replica_stop(ctx: Context, port: int | None) -> None:
    """Replikat anhalten."""
    stopped = standby.stop(ctx.settings, standby.Standby.of(ctx.settings, port))
    click.echo("Replikat gestoppt." if stopped else "Replikat lief nicht.")


@cluster_group.command("replication-off")
@pass_ctx
def replication_off(ctx: Context) -> None:
    """Primärserver ab dem nächsten Start wieder ohne Replikation (wal_level = minimal)."""
    standby.disable_replication(ctx.settings)
    click.echo("Replikation ab dem nächsten Start des Primärservers aus.")
