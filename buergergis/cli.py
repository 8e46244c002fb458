"""The ``buergergis`` command line: ``db``, ``migrate``, ``load``, ``import``, ``serve`` and more.

Each area registers its own command group here; commands read settings when they run.
"""

from __future__ import annotations

import logging
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


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Mehr Ausgaben.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """BürgerGIS – Geodatendienst der Stadt Hameln."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(Context)


def _register() -> None:
    from buergergis.db.commands import db_group, migrate_command
    from buergergis.ingest.commands import import_command, load_command, schema_command

    cli.add_command(db_group)
    cli.add_command(migrate_command)
    cli.add_command(load_command)
    cli.add_command(import_command)
    cli.add_command(schema_command)
    for name in (
        "buergergis.tiles.commands",
        "buergergis.admin.commands",
        "buergergis.demo.commands",
    ):
        _maybe_register(name)


def _maybe_register(module_name: str) -> None:
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not exc.name or not module_name.startswith(exc.name):
            raise
        return
    for command in getattr(module, "COMMANDS", ()):
        cli.add_command(command)


def main() -> None:
    """Console-script entry point; user errors end with a message, not a traceback."""
    _register()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Abgebrochen.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BuergerGISError as exc:
        click.echo(f"Fehler: {exc.description}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
