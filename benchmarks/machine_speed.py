"""The machine's speed, printed next to benchmark timings.

This CPU's speed swings about 2x over minutes, so timings are read against a
reference float32 matmul measured in the same run.
"""

import time

import numpy as np


def reference_matmul_gflops(n=1024, repeats=5):
    """Best-of-`repeats` GFLOP/s of an `n x n` float32 matmul."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9
