"""Run a command and measure wall time and peak memory with GNU time (``/usr/bin/time``).

GNU time forks from a tiny process, so the peak RSS is the command's own — measuring from
our Python process with ``wait4`` would count pages shared with the (large) parent.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """Wall time in seconds, peak resident memory in MiB, exit code."""

    seconds: float
    peak_mib: float
    returncode: int


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` under ``/usr/bin/time -f '%e %M'``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", out.name, *cmd],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr.decode(errors="replace")[-2000:])
        seconds, kib = Path(out.name).read_text().split()[-2:]
    return Measured(float(seconds), int(kib) / 1024, proc.returncode)
