"""The suite runs on the README's install alone, and skips by extra.

Each test runs pytest in a subprocess on the TensorFlow backend, with the
optional extras hidden by `tests/hide_extras.py` (as after `pip install -e
".[test]"`) or, where they are installed, watching what collection imports.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = sorted(module for modules in EXTRAS.values() for module in modules)
pytestmark = pytest.mark.backend_independent


def run(*args, code=None):
    """`python -m pytest ARGS` (or `python -c CODE`) in the project root."""
    env = dict(os.environ, KERAS_BACKEND="tensorflow", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "pytest"]
    done = subprocess.run(
        [*command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def collected(output):
    match = re.search(r"(\d+) tests? collected", output)
    assert match, output[-3000:]
    return int(match[1])


def test_collection_succeeds_with_every_extra_hidden():
    hidden_rc, hidden = run("--collect-only", "-q", "-p", "tests.hide_extras")
    assert hidden_rc == 0, hidden[-3000:]  # 2: a module failed to import
    # The same tests are collected: they skip when run, not vanish.
    rc, output = run("--collect-only", "-q")
    assert rc == 0, output[-3000:]
    assert collected(hidden) == collected(output) > 1000


def test_tests_that_need_an_extra_skip_naming_it():
    rc, output = run(
        "-p",
        "tests.hide_extras",
        "-rs",
        "-p",
        "no:cacheprovider",
        "tests/enhancement/test_convert.py",
        "tests/integrations/test_ray.py",
        "tests/clustering/test_neighbors.py",
    )
    assert rc == 0, output[-3000:]
    for extra in ("torch", "ray", "faiss"):
        reason = (
            f'needs the "{extra}" extra, not installed: pip install -e ".[{extra}]"'
        )
        assert reason in output, output[-3000:]
    assert "optional extras" in output
    assert 'To run them: pip install -e ".[test,faiss,ray,torch]"' in output
    # The tests of the exact index and of a missing faiss still ran.
    assert re.search(r"\d+ passed", output), output[-3000:]


@pytest.mark.extra(*EXTRAS)
def test_collection_imports_no_optional_package():
    # TensorFlow imports JAX where it is installed (tensorflow.lite), as
    # `import keras_patterns` shows: the tests may add nothing to that.
    code = (
        "import json, sys, pytest, keras_patterns\n"
        f"before = {{m for m in {OPTIONAL!r} if m in sys.modules}}\n"
        "rc = pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider'])\n"
        f"loaded = [m for m in {OPTIONAL!r} if m in sys.modules and m not in before]\n"
        "print('LOADED', json.dumps(loaded), 'RC', int(rc))\n"
    )
    rc, output = run(code=code)
    match = re.search(r"LOADED (.*) RC (\d+)", output)
    assert rc == 0 and match, output[-3000:]
    assert int(match[2]) == 0, output[-3000:]
    assert json.loads(match[1]) == [], "imported while collecting"
