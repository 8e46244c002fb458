"""Operations documents stay true: every setting is documented in docs/betrieb.md, the
systemd units are valid and every command they run exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from buergergis.cli import cli
from buergergis.ops.settings_doc import END, START, settings_markdown
from buergergis.settings import PROJECT_ROOT
from tests.conftest import require

DOCS = PROJECT_ROOT / "docs" / "betrieb.md"
UNITS = PROJECT_ROOT / "deploy" / "systemd"


def test_every_setting_is_documented_in_betrieb_md() -> None:
    text = DOCS.read_text()
    block = text[text.index(START) : text.index(END) + len(END)]
    assert block == settings_markdown(), (
        "docs/betrieb.md is out of date: replace the settings block with `buergergis settings`"
    )


def test_systemd_units_are_valid(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze fehlt")
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/buergergis", str(PROJECT_ROOT))
        text = text.replace("/etc/buergergis/buergergis.env", "/dev/null")
        (tmp_path / unit.name).write_text(text)
    names = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(
        [str(analyze), "verify", "--man=no", *names], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_every_command_the_units_run_exists() -> None:
    commands = set()
    for unit in UNITS.glob("*.service"):
        commands |= {
            m.group(1) for m in re.finditer(r"bin/buergergis ([a-z]+ ?[a-z]*)", unit.read_text())
        }
    assert {"backup", "layers purge", "anfragen purge", "mail send"} <= {
        c.strip() for c in commands
    }
    for command in commands:
        result = CliRunner().invoke(cli, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)
