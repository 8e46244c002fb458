"""The layering of the package holds: web/admin → domain → store → db, catalog.

The contracts live in pyproject.toml (``[tool.importlinter]``): ``store`` never imports the
web layer or the domain, ``db``/``catalog`` import neither ``store`` nor anything above, and
no domain module imports Flask or Werkzeug. import-linter reads every import statement,
including those inside functions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_a_forbidden_import_breaks_a_contract(tmp_path: Path) -> None:
    """The contracts can fail: a copy of the package with Flask in the domain is refused."""
    import shutil

    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "buergergis", copy / "buergergis", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "buergergis" / "maps" / "probe.py").write_text("def probe():\n    import flask\n")
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "buergergis.maps.probe -> flask" in result.stdout


#: Where "service" may appear in a module path: the `service` block of a layer definition,
#: the city-services domain, its SQL and migration, its citizen pages and their templates
#: (issue 11 §5: one home, not five meanings; the staff pages are admin/dienste.py).
SERVICE_HOMES = {
    "buergergis/catalog/service.py",
    "buergergis/services",
    "buergergis/store/services",
    "buergergis/db/migrations/versions/0004_services.py",
    "buergergis/web/services.py",
    "buergergis/web/services_support.py",
    "buergergis/templates/services",
}


def test_city_services_have_one_home() -> None:
    package = ROOT / "buergergis"
    named = {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*service*")
        if "__pycache__" not in path.parts and path.suffix in ("", ".py")
    }
    strays = {
        name
        for name in named
        if not any(name == home or name.startswith(home + "/") for home in SERVICE_HOMES)
    }
    assert strays == set(), f"'service' outside the city-services home: {sorted(strays)}"
    assert "buergergis/services" in named  # the home itself exists (the test can see it)
