"""requirements.lock is what every install uses (bootstrap, CI, the image): it must pin
each dependency that pyproject.toml names, at a version its range allows. A range changed
without `scripts/lock` fails here instead of on a fresh machine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.MULTILINE)


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(name) for name in names]


def _pinned() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pinned = _pinned()
    problems = []
    for requirement in _declared():
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert not problems, "run scripts/lock: " + "; ".join(problems)


def test_the_lock_has_hashes_and_names_no_local_file() -> None:
    text = (ROOT / "requirements.lock").read_text()
    assert "--hash=sha256:" in text
    assert "file://" not in text
    assert len(_pinned()) >= len(_declared())
