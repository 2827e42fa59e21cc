"""Test set-up shared by every test module: optional extras, shared fixtures.

The README's install line (`pip install -e ".[test]"`) is enough to run the
whole suite. A test that needs an optional extra says so with a marker,

    @pytest.mark.extra("torch")
    def test_...():
        import torch  # imported in the test, never at collection

and skips, naming the extra, where the extra's packages are missing; the
summary at the end says which extras to install to run the rest. Whether
an extra is installed is read from the import system (`find_spec`) without
importing it, so collecting the tests imports nothing optional.
`python -m pytest -m extra` runs only the tests that extras enable.
"""

import os
from collections import Counter

import keras
import pytest

import keras_patterns as kp
from tests import usable_cores
from tests.extras import EXTRAS
from tests.extras import REASON_PATTERN
from tests.extras import missing_modules
from tests.extras import skip_reason

# Test-suite helpers, not tests: they hold no doctests, and one imports an
# optional package at module level. The tests that need them import them.
collect_ignore = [
    "extras.py",
    "helpers.py",
    "hide_extras.py",
    "multi_device_check.py",
    "datasets/fixtures.py",
    "enhancement/torch_reference.py",
    "data/legacy/make_legacy_files.py",
]


# Memory one test worker may need at its peak (TensorFlow or JAX, a real-size
# model test), in GiB: `-n auto` starts no more workers than fit.
WORKER_GIB = 3


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pytest-xdist): one worker per usable core, as many as fit in
    memory at `WORKER_GIB` each; each worker runs whole test files
    (`--dist loadfile`), so a module's fixtures are built once."""
    cores = usable_cores()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: cores alone
        return cores
    return max(1, min(cores, int(memory / 2**30 // WORKER_GIB)))


def pytest_collection_modifyitems(config, items):
    absent = {}
    for item in items:
        for marker in item.iter_markers("extra"):
            for extra in marker.args:
                if extra not in absent:
                    absent[extra] = bool(missing_modules(extra))
                if absent[extra]:
                    item.add_marker(pytest.mark.skip(reason=skip_reason(extra)))
                    break


def pytest_terminal_summary(terminalreporter):
    """Says which extras the skipped tests need, and how to install them."""
    counts = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
        match = REASON_PATTERN.search(str(reason))
        if match:
            counts[match[1]] += 1
    if not counts:
        return
    terminalreporter.section("optional extras")
    total = sum(counts.values())
    terminalreporter.write_line(
        f"{total} tests skipped because an optional extra is not installed:"
    )
    for extra, count in sorted(counts.items()):
        terminalreporter.write_line(
            f"  [{extra}] {count} tests (packages: {', '.join(EXTRAS[extra])})"
        )
    names = ",".join(sorted(counts))
    line = f'To run them: pip install -e ".[test,{names}]"'
    if "torch" in counts:
        line += " (CPU-only machines: pip install torch==2.13.0 first)"
    terminalreporter.write_line(line)


# === Fixtures several test modules share ===


@pytest.fixture(scope="session")
def swatches():
    """Six 64 x 64 swatches of synthetic patterns (seed 3), uint8, read-only."""
    images = kp.datasets.make_pattern_patches(6, (64, 64), seed=3)["images"]
    images.flags.writeable = False
    return images


@pytest.fixture(scope="module")
def tiny_embedder():
    """An untrained 8-d texture-CNN `PatternEmbedder` (seed 1): for the
    plumbing around an embedder, not for what it learns."""
    keras.utils.set_random_seed(1)
    return kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
