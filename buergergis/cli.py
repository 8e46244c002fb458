"""The ``buergergis`` command line: ``db``, ``migrate``, ``load``, ``import``, ``backup`` and more.

Each area registers its own command group here; commands read settings when they run.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from buergergis.errors import BuergerGISError
from buergergis.settings import Settings, load_settings


class Context:
    """Lazily created settings shared by all commands of one invocation."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Settings read from the environment on first use."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


pass_ctx = click.make_pass_decorator(Context, ensure=True)


#: Every command, imported only when it runs (``buergergis --help`` and each command stay fast).
COMMANDS: dict[str, str] = {
    "db": "buergergis.db.commands:db_group",
    "cluster": "buergergis.db.standby_commands:cluster_group",
    "migrate": "buergergis.db.commands:migrate_command",
    "load": "buergergis.ingest.commands:load_command",
    "import": "buergergis.ingest.commands:import_command",
    "schema": "buergergis.ingest.commands:schema_command",
    "demo": "buergergis.demo.commands:demo_group",
    "tiles": "buergergis.tiles.commands:tiles_group",
    "user": "buergergis.admin.commands:user_group",
    "token": "buergergis.admin.commands:token_group",
    "layers": "buergergis.admin.commands:layers_group",
    "mail": "buergergis.services.commands:mail_group",
    "abo": "buergergis.services.subscription_commands:abo_group",
    "anfragen": "buergergis.services.commands:anfragen_group",
    "backup": "buergergis.ops.commands:backup_command",
    "restore": "buergergis.ops.commands:restore_command",
    "settings": "buergergis.ops.commands:settings_command",
    "extern": "buergergis.extern.commands:extern_command",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All command names, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the command, or ``None`` for unknown names."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=LazyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Mehr Ausgaben.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """BürgerGIS – Geodatendienst der Stadt Hameln."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(Context)


#: Commands after which the process ends without tearing the interpreter down (see
#: :func:`_leave`): a load has pandas, GDAL, PROJ and Arrow loaded, whose teardown took about
#: 0.3 s of a 200,000-polygon import (docs/architecture.md, "Laden, Kosten").
FAST_EXIT = frozenset({"import", "load"})


def main() -> None:
    """Console-script entry point; user errors end with a message, not a traceback."""
    try:
        cli.main(standalone_mode=False)
        if _command(sys.argv[1:]) in FAST_EXIT:
            _leave()
    except click.exceptions.Abort:
        click.echo("Abgebrochen.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BuergerGISError as exc:
        click.echo(f"Fehler: {exc.description}", err=True)
        sys.exit(2)


def _command(args: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


def _leave() -> None:
    """End a finished command at once: its work is committed and its files are closed."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
