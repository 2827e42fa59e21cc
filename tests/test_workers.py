"""`-n auto`: as many pytest-xdist workers as there are cores and memory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

pytestmark = pytest.mark.backend_independent

GIB = 2**30
HALF = str(max(1, len(os.sched_getaffinity(0)) // 2))  # cores per worker of two
PRINT_THREADS = "import os, tests; print(os.environ.get('OMP_NUM_THREADS'))"


@pytest.mark.parametrize(
    ("cores", "memory_gib", "expected"),
    [
        (2, 24, 2),  # this CI machine: the cores decide
        (16, 24, 8),  # 24 GiB holds 8 workers of 3 GiB
        (16, 128, 16),
        (4, 2, 1),  # always one worker at least
    ],
)
def test_workers_are_the_cores_that_fit_in_memory(
    monkeypatch, cores, memory_gib, expected
):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": memory_gib * GIB // 4096}
    monkeypatch.setattr(os, "sysconf", sizes.__getitem__)
    assert conftest.WORKER_GIB == 3
    assert conftest.pytest_xdist_auto_num_workers(config=None) == expected


def test_without_sysconf_the_cores_decide(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})

    def sysconf(name):
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(os, "sysconf", sysconf)
    assert conftest.pytest_xdist_auto_num_workers(config=None) == 3


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"PYTEST_XDIST_WORKER_COUNT": "2"}, HALF),
        ({"PYTEST_XDIST_WORKER_COUNT": "2", "OMP_NUM_THREADS": "3"}, "3"),
        ({}, None),  # no xdist worker: left unset
    ],
)
def test_each_worker_gets_its_share_of_the_cores(environment, expected):
    root = Path(__file__).resolve().parents[1]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OMP_NUM_THREADS", "PYTEST_XDIST_WORKER_COUNT")
    }
    found = subprocess.run(
        [sys.executable, "-c", PRINT_THREADS],
        cwd=root,
        env={**env, **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == str(expected)
