"""Every setting as a Markdown table (``buergergis settings``; docs/betrieb.md holds it)."""

from __future__ import annotations

from pydantic_core import PydanticUndefined

from buergergis.settings import PROJECT_ROOT, Settings

START = "<!-- settings:start (buergergis settings) -->"
END = "<!-- settings:end -->"


def _default(value: object) -> str:
    if value is PydanticUndefined or value is None:
        return "–"
    if value == PROJECT_ROOT:
        return "Projektordner"
    return f"`{value}`"


def _env_name(name: str) -> str:
    return "DATABASE_URL" if name == "database_url" else f"BUERGERGIS_{name.upper()}"


def settings_markdown() -> str:
    """The table of all settings: environment variable, default, meaning."""
    lines = [START, "", "| Variable | Standard | Bedeutung |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        text = (field.description or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{_env_name(name)}` | {_default(field.default)} | {text} |")
    lines += ["", END]
    return "\n".join(lines)
