"""The release notes and the version agree: a tag is published only when
the changelog has a dated section for the package's version."""

import re
from pathlib import Path

import pytest

import keras_patterns as kp

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.backend_independent


def changelog():
    return (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_changelog_has_a_dated_section_for_this_version():
    version = re.escape(kp.__version__)
    text = changelog()
    assert re.search(rf"^## \[{version}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M), (
        f"CHANGELOG.md has no '## [{kp.__version__}] - YYYY-MM-DD' section"
    )
    assert re.search(rf"^\[{version}\]: https://\S+/v{version}$", text, re.M)
    # What is not released yet is compared against this version's tag.
    assert re.search(
        rf"^\[Unreleased\]: https://\S+/compare/v{version}\.\.\.HEAD$", text, re.M
    )


def test_the_changelog_sections_run_newest_first():
    headings = re.findall(r"^## \[([^\]]+)\]", changelog(), re.M)
    assert headings[0] == "Unreleased"
    released = [tuple(int(n) for n in v.split(".")) for v in headings[1:]]
    assert released == sorted(released, reverse=True)
    assert released[0] == tuple(int(n) for n in kp.__version__.split("."))
