"""The closing "Einordnung" of docs/benchmarks.md comes only from what a run recorded."""

from __future__ import annotations

from bench.targets import Target, summary


def test_summary_counts_targets_and_explains_only_the_missed_ones() -> None:
    lines = summary(
        [
            Target("Kacheln", "A ≥ 1×", "1.20×", True, "nie gezeigt"),
            Target("Features", "B ≥ 0,8× SQL", "0.50×", False, "p50 4.0 gegen 2.0 ms"),
            Target("Laden", "C ≤ 200 MiB", "250 MiB", False),
        ]
    )
    text = "\n".join(lines)
    assert "1 von 3 Zielen erreicht" in text
    assert "| Features | B ≥ 0,8× SQL | 0.50× | **nein** |" in text
    assert "- Features, B ≥ 0,8× SQL (0.50×): p50 4.0 gegen 2.0 ms" in text
    assert "nie gezeigt" not in text  # a met target needs no explanation
    assert "Laden, C" not in text.split("woran es liegt")[1]  # no text, no line
