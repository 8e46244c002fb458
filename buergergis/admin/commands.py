"""CLI: ``buergergis user add|list|set`` and ``buergergis token create|revoke``."""

from __future__ import annotations

import os

import click

from buergergis.admin import auth
from buergergis.cli import Context, pass_ctx
from buergergis.db.engine import make_engine
from buergergis.store import audit, users

PASSWORD_ENV = "BUERGERGIS_PASSWORD"
CLI_ACTOR = "cli"


def _password() -> str:
    """From ``BUERGERGIS_PASSWORD`` when set, else asked twice without echo."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return str(click.prompt("Passwort", hide_input=True, confirmation_prompt="Wiederholen"))


@click.group("user")
def user_group() -> None:
    """Konten des Verwaltungsbereichs (/admin)."""


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["editor", "admin"]),
    default="editor",
    show_default=True,
    help="editor verwaltet Layer, admin zusätzlich Konten.",
)
@pass_ctx
def user_add(ctx: Context, name: str, role: str) -> None:
    """Ein Konto anlegen (Passwort per Abfrage oder aus BUERGERGIS_PASSWORD)."""
    name = auth.normalise_name(name)
    password = _password()
    engine = make_engine(ctx.settings, application_name="buergergis-user")
    account = auth.add_account(engine, name, password, role, actor=CLI_ACTOR)
    click.echo(f"Konto {account.name} ({account.role}) angelegt.")


@user_group.command("list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """Alle Konten auflisten."""
    engine = make_engine(ctx.settings, application_name="buergergis-user")
    with engine.connect() as conn:
        for account in users.list_accounts(conn):
            state = "aktiv" if account.active else "deaktiviert"
            click.echo(f"{account.name}\t{account.role}\t{state}")


@user_group.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice(["editor", "admin"]), help="Neue Rolle.")
@click.option("--active/--inactive", default=None, help="Konto aktivieren oder sperren.")
@click.option("--password", "new_password", is_flag=True, help="Neues Passwort setzen.")
@pass_ctx
def user_set(
    ctx: Context, name: str, role: str | None, active: bool | None, new_password: bool
) -> None:
    """Rolle, Status oder Passwort eines Kontos ändern."""
    engine = make_engine(ctx.settings, application_name="buergergis-user")
    password = _password() if new_password else None
    account = auth.change_account(
        engine, name.lower(), actor=CLI_ACTOR, role=role, active=active, password=password
    )
    click.echo(f"Konto {account.name} geändert ({account.role}).")


@click.group("token")
def token_group() -> None:
    """API-Tokens für Skripte (Authorization: Bearer …)."""


@token_group.command("create")
@click.argument("name")
@click.option("--label", default="", help="Wofür der Token ist (z. B. Skriptname).")
@pass_ctx
def token_create(ctx: Context, name: str, label: str) -> None:
    """Einen neuen Token für das Konto NAME erzeugen und ausgeben (nur einmal sichtbar)."""
    engine = make_engine(ctx.settings, application_name="buergergis-token")
    click.echo(auth.create_api_token(engine, name, label=label, actor=CLI_ACTOR))


@token_group.command("revoke")
@click.argument("name")
@pass_ctx
def token_revoke(ctx: Context, name: str) -> None:
    """Alle Tokens des Kontos NAME widerrufen."""
    engine = make_engine(ctx.settings, application_name="buergergis-token")
    with engine.begin() as conn:
        count = users.revoke_tokens(conn, name.lower())
        if count:
            audit.record(conn, CLI_ACTOR, "tokens_revoke", details={"account": name.lower()})
    click.echo(f"{count} Token(s) widerrufen.")


@click.group("layers")
def layers_group() -> None:
    """Layer der Verwaltung: Papierkorb anzeigen und abgelaufene Layer endgültig löschen."""


@layers_group.command("trash")
@pass_ctx
def layers_trash(ctx: Context) -> None:
    """Gelöschte Layer (Papierkorb) mit dem Datum, an dem sie endgültig entfernt werden."""
    from buergergis.store import lifecycle

    engine = make_engine(ctx.settings, application_name="buergergis-layers")
    with engine.connect() as conn:
        entries = lifecycle.deleted_layers(conn, ctx.settings.deleted_keep_days)
    for entry in entries:
        click.echo(
            f"{entry.id}\t{entry.title}\tgelöscht von {entry.deleted_by}"
            f"\tentfernt ab {entry.purge_at:%d.%m.%Y %H:%M}"
        )
    if not entries:
        click.echo("Der Papierkorb ist leer.")


@layers_group.command("purge")
@pass_ctx
def layers_purge(ctx: Context) -> None:
    """Layer, die länger als deleted_keep_days im Papierkorb liegen, samt Versionen löschen;
    abgelaufene Uploads entfernen."""
    from buergergis.admin.manage import purge_expired
    from buergergis.admin.uploads import cleanup_stale

    settings = ctx.settings
    engine = make_engine(settings, application_name="buergergis-layers")
    purged = purge_expired(settings, engine, CLI_ACTOR)
    uploads = cleanup_stale(settings, settings.upload_keep_hours * 3600)
    click.echo(
        f"{len(purged)} Layer endgültig gelöscht{': ' + ', '.join(purged) if purged else ''}; "
        f"{uploads} abgelaufene(r) Upload(s) entfernt."
    )


COMMANDS = [user_group, token_group, layers_group]
