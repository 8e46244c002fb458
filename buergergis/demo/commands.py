"""The ``buergergis demo`` command group."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from buergergis.cli import Context, pass_ctx


@click.group("demo")
def demo_group() -> None:
    """Beispieldaten der Stadt Hameln (keine amtliche Auskunft)."""


@demo_group.command("generate")
@click.option("--force", is_flag=True, help="Vorhandene Dateien überschreiben.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Zielordner (Standard: <root>/data).",
)
@pass_ctx
def generate_command(ctx: Context, force: bool, out: Path | None) -> None:
    """Beispieldaten erzeugen (ohne Netz, reproduzierbar)."""
    from buergergis.demo.generate import Result, generate

    target = out if out is not None else ctx.settings.root / "data"
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # no "Created N records" lines

    def report(result: Result) -> None:
        """Print one line per dataset."""
        name = result.path.name
        if result.written:
            click.echo(
                f"geschrieben:   {name:<26} {result.count:>7} {result.dataset.unit}  ({result.seconds:.1f} s)"
            )
        else:
            click.echo(f"übersprungen:  {name:<26} (vorhanden; --force überschreibt)")

    results = generate(target, force=force, progress=report)
    written = sum(r.written for r in results)
    click.echo(f"{written} von {len(results)} Dateien geschrieben nach {target}")


COMMANDS = [demo_group]
