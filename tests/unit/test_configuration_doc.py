"""docs/configuration.md lists exactly the variables of ENV_VARS, with their real defaults."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from shared.settings import ENV_VARS, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\| `(?P<name>[A-Z][A-Z0-9_]*)` \| (?P<default>[^|]+) \|", re.MULTILINE)


def _documented() -> dict[str, str]:
    rows = {match["name"]: match["default"].strip() for match in ROW.finditer(DOC.read_text())}
    assert rows, f"no variable table in {DOC}"
    return rows


def _spelled(default: object) -> str:
    if default is None or default == ():
        return "none"
    if isinstance(default, tuple):
        default = ",".join(default)  # a list setting is written as its env value
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def test_every_variable_is_documented_and_no_other() -> None:
    documented = set(_documented())
    assert sorted(set(ENV_VARS) - documented) == [], "missing from docs/configuration.md"
    assert sorted(documented - set(ENV_VARS)) == [], "documented but not in ENV_VARS"


def test_documented_defaults_are_the_code_defaults() -> None:
    defaults = {f.name: f.default for f in fields(Settings)}
    wrong = {
        name: (cell, _spelled(defaults[ENV_VARS[name]]))
        for name, cell in _documented().items()
        if name in ENV_VARS and cell != _spelled(defaults[ENV_VARS[name]])
    }
    assert wrong == {}, "doc default vs code default"
