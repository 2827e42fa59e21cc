"""`-n auto`: as many pytest-xdist workers as there are cores and memory."""

import os

import pytest

from tests import conftest

pytestmark = pytest.mark.backend_independent

GIB = 2**30


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
