"""The test suite. Importing it (before `tests/conftest.py` imports Keras)
gives each pytest-xdist worker its share of the cores."""

import os


def usable_cores():
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


# Under pytest-xdist each worker gets its share of the cores for PyTorch's
# OpenMP threads (set before Keras imports the backend): a thread per core in
# every worker spin-waits against the others, and the PyTorch leg ran 1.6
# times slower on two workers than in one process. OMP_NUM_THREADS, when set,
# is kept.
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if WORKERS > 1:
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, usable_cores() // WORKERS)))
