"""CLI: ``buergergis mail send`` (the outbox sender) and ``buergergis anfragen purge``."""

from __future__ import annotations

import click

from buergergis.cli import Context, pass_ctx
from buergergis.db.engine import make_engine
from buergergis.services import mail, retention


@click.group("mail")
def mail_group() -> None:
    """E-Mails aus dem Postausgang (BUERGERGIS_SMTP_URL, BUERGERGIS_MAIL_FROM)."""


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Dauerhaft laufen (als Dienst), sonst einmal.")
@click.option("--interval", default=10.0, show_default=True, help="Sekunden zwischen Läufen.")
@pass_ctx
def send_command(ctx: Context, loop: bool, interval: float) -> None:
    """Fällige E-Mails zustellen; Fehler werden mit wachsendem Abstand wiederholt."""
    settings = mail.MailSettings.from_env()
    if not settings.url:
        raise click.ClickException(
            "BUERGERGIS_SMTP_URL ist nicht gesetzt – die E-Mails bleiben im Postausgang "
            "(sichtbar unter /admin/dienste/postausgang)."
        )
    engine = make_engine(ctx.settings, application_name="buergergis-mail")
    if loop:
        mail.run_forever(engine, settings, interval)
    report = mail.send_due(engine, settings)
    click.echo(f"{report.sent} gesendet, {report.failed} fehlgeschlagen (später erneut).")


@click.group("anfragen")
def anfragen_group() -> None:
    """Anfragen der Bürgerdienste (Aufbewahrung nach DSGVO)."""


@anfragen_group.command("purge")
@pass_ctx
def purge_command(ctx: Context) -> None:
    """Anfragen löschen, deren Aufbewahrungsfrist abgelaufen ist (täglich per Timer)."""
    engine = make_engine(ctx.settings, application_name="buergergis-purge")
    report = retention.purge(engine, ctx.settings.shared)
    click.echo(
        f"{report.requests} Anfragen, {report.attachments} Anhänge, {report.tokens} "
        f"Formular-Tokens und {report.counters} Zähler gelöscht."
    )
