"""The load report: what was read, written, repaired and dropped (with reasons)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LoadReport:
    """Counts and notes of one load; stored with the layer version and printed by the CLI."""

    layer_id: str
    source: str = ""
    format: str = ""
    read: int = 0
    written: int = 0
    repaired: int = 0
    linearised: int = 0  # curved geometries turned into line segments (ingest.read)
    dropped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    encoding_source: str | None = None
    source_crs: str | None = None
    geometry_type: str | None = None
    seconds: float = 0.0
    definition_sha: str = ""

    def drop(self, reason: str, count: int = 1) -> None:
        """Count features dropped for ``reason``."""
        if count:
            self.dropped[reason] += count

    def note(self, message: str) -> None:
        """Record a remark (e.g. Z values removed)."""
        if message not in self.notes:
            self.notes.append(message)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        data = asdict(self)
        data["dropped"] = dict(self.dropped)
        return data

    def summary(self) -> str:
        """A few German lines for the terminal."""
        lines = [
            f"Layer {self.layer_id}: {self.read} gelesen, {self.written} geschrieben, "
            f"{self.repaired} repariert, {sum(self.dropped.values())} verworfen ({self.seconds:.1f} s)"
        ]
        lines += [f"  verworfen: {n} × {reason}" for reason, n in self.dropped.items()]
        if self.linearised:
            lines.append(f"  Kurven linearisiert: {self.linearised}")
        if self.encoding:
            lines.append(f"  Zeichenkodierung: {self.encoding} ({self.encoding_source})")
        if self.source_crs:
            lines.append(f"  Quell-KBS: {self.source_crs}")
        lines += [f"  Hinweis: {n}" for n in self.notes]
        return "\n".join(lines)
