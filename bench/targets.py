"""The targets of the issues, checked against what one ``make bench`` run measured.

Sections call :func:`check` with the measured figure; ``bench/run.py`` writes the closing
"Einordnung" of docs/benchmarks.md from these records only — no fixed text about results.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One target and what this run measured for it."""

    section: str
    goal: str
    measured: str
    met: bool
    why: str | None = None


RECORDED: list[Target] = []


def check(section: str, goal: str, measured: str, met: bool, why: str | None = None) -> None:
    """Record a target and whether this run met it; ``why`` says where the difference comes
    from (built from this run's figures where it can be), shown if the target was missed."""
    RECORDED.append(Target(section, goal, measured, met, why))


def ratio(value: float, reference: float) -> float:
    """``value / reference`` (0 when the reference is 0)."""
    return value / reference if reference else 0.0


def summary(targets: list[Target]) -> list[str]:
    """The "Einordnung" section: every target with its measured figure, met or missed."""
    met = sum(t.met for t in targets)
    lines = [
        "## Einordnung",
        "",
        f"Aus den Messungen dieses Laufs: {met} von {len(targets)} Zielen erreicht.",
        "",
        "| Bereich | Ziel | gemessen | erreicht |",
        "|---|---|---|---|",
    ]
    for t in targets:
        lines.append(f"| {t.section} | {t.goal} | {t.measured} | {'ja' if t.met else '**nein**'} |")
    missed = [t for t in targets if not t.met and t.why]
    if missed:
        lines += ["", "### Verfehlte Ziele: woran es liegt", ""]
        lines += [f"- {t.section}, {t.goal} ({t.measured}): {t.why}" for t in missed]
    return [*lines, ""]
