"""The wheel's smoke test finds a preset left out of the package data."""

import fnmatch
import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ROOT / "keras_patterns" / "presets"
pytestmark = pytest.mark.backend_independent


def smoke_test():
    spec = importlib.util.spec_from_file_location(
        "smoke_test_wheel", ROOT / "tools" / "smoke_test_wheel.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected():
    return sorted(p.parent.name for p in PRESETS.glob("*/metadata.json"))


def test_the_installed_presets_pass_and_a_missing_file_fails(tmp_path):
    module = smoke_test()
    names = expected()
    assert "patterns_synthetic" in names
    copy = tmp_path / "presets"
    shutil.copytree(PRESETS, copy)
    assert module.preset_problems(copy, names) == []
    (copy / "patterns_synthetic" / "model.keras").unlink()
    problems = module.preset_problems(copy, names)
    assert problems == [
        f"preset patterns_synthetic: no model.keras in {copy}/patterns_synthetic"
    ]
    shutil.rmtree(copy / names[-1])
    assert any(names[-1] in p for p in module.preset_problems(copy, names))


def test_the_package_data_globs_take_every_preset_file():
    """A preset file no glob of pyproject.toml takes would be left out of
    the wheel: every file under presets/ matches one."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11's")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["keras_patterns"]
    files = [p.relative_to(ROOT / "keras_patterns") for p in PRESETS.rglob("*")]
    files = [str(f) for f in files if (ROOT / "keras_patterns" / f).is_file()]
    assert files
    missed = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert missed == []
