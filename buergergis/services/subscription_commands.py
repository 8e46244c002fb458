"""CLI: ``buergergis abo benachrichtigen`` — notices about new features for all subscribers."""

from __future__ import annotations

import click

from buergergis.cli import Context, pass_ctx
from buergergis.db.engine import make_engine
from buergergis.services import subscriptions


@click.group("abo")
def abo_group() -> None:
    """E-Mail-Abos der Ebenen (neue Einträge, doppelte Bestätigung)."""


@abo_group.command("benachrichtigen")
@pass_ctx
def notify_command(ctx: Context) -> None:
    """Neue Objekte je Abo in den Postausgang legen (`buergergis mail send` stellt zu);
    unbestätigte Abos nach 7 Tagen löschen. Für einen Timer, z. B. stündlich."""
    engine = make_engine(ctx.settings, application_name="buergergis-abo")
    queued = subscriptions.notify(engine, ctx.settings.public_url)
    click.echo(f"{queued} Benachrichtigung(en) in den Postausgang gelegt.")
