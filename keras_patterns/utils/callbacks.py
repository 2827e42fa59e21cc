"""Keras callbacks shared by the training recipes, examples and benchmarks."""

import math
import time
from typing import Any

import keras


class TimeLimit(keras.callbacks.Callback):
    """Stops `fit` once `seconds` have passed (checked after every batch).

    Training budgets in this package are stated in wall-clock time on a
    given machine; with this callback a run keeps its budget whatever the
    machine's speed, and reports how far it got.

    Args:
        seconds: the budget.

    Attributes:
        stopped_early: whether the budget ran out before the last epoch.
        steps_done: the batches trained.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = float(seconds)
        self.stopped_early = False
        self.steps_done = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        self.steps_done += 1
        if time.perf_counter() - self._start > self.seconds:
            self.model.stop_training = True
            self.stopped_early = True


class DeadlineCosineDecay(keras.callbacks.Callback):
    """Linear warm-up then cosine decay, paced by steps or by the clock.

    A `CosineDecay` schedule is a function of the step, so a run that a
    `TimeLimit` stops early ends at a high learning rate, before the
    schedule's low-rate tail where most of the final accuracy is made. This
    callback sets the optimiser's learning rate before every batch from the
    progress `max(step / steps, elapsed / seconds)`: on a fast machine it is
    the usual step schedule; on a slow one the rate reaches its floor at the
    deadline, with whatever steps fitted.

    The progress p maps to `peak * p / warmup` during the warm-up, then to
    `floor + (peak - floor) * (1 + cos(pi * q)) / 2` with q the progress
    through the rest. The optimiser must have been built with a float
    learning rate (not a schedule).

    Args:
        peak: learning rate at the end of the warm-up.
        steps: optimiser steps the run is planned for.
        seconds: wall-clock budget, or None for a pure step schedule.
        warmup: share of the progress spent warming up, in [0, 1).
        floor: the final learning rate.
        resume: count the steps from the optimiser's `iterations` when
            training begins, so that a run restored from a checkpoint
            (`keras.callbacks.BackupAndRestore`, placed before this callback)
            goes on where its schedule stopped; the clock restarts.

    Example:

    >>> schedule = DeadlineCosineDecay(1e-3, steps=100, warmup=0.1)
    >>> [round(schedule.rate(p), 6) for p in (0.0, 0.05, 0.1, 0.55, 1.0)]
    [0.0, 0.0005, 0.001, 0.0005, 0.0]
    """

    def __init__(
        self,
        peak: float,
        steps: int,
        seconds: float | None = None,
        warmup: float = 0.05,
        floor: float = 0.0,
        resume: bool = False,
    ) -> None:
        super().__init__()
        self.resume = bool(resume)
        if not 0 <= warmup < 1:
            raise ValueError(f'"warmup" must lie in [0, 1). Received: warmup={warmup}')
        if int(steps) < 1:
            raise ValueError(f'"steps" must be at least 1. Received: steps={steps}')
        self.peak, self.steps, self.floor = float(peak), int(steps), float(floor)
        self.seconds = None if seconds is None else float(seconds)
        self.warmup = float(warmup)

    def rate(self, progress: float) -> float:
        """The learning rate at `progress` in [0, 1] (clipped).

        Args:
            progress: the share of the run done.

        Returns:
            The learning rate, a float.
        """
        progress = min(max(progress, 0.0), 1.0)
        if progress < self.warmup:
            return self.peak * progress / self.warmup
        rest = (progress - self.warmup) / (1.0 - self.warmup)
        return self.floor + (self.peak - self.floor) * 0.5 * (
            1 + math.cos(math.pi * rest)
        )

    def progress(self, step: int, elapsed: float) -> float:
        """The share of the run done: `max(step / steps, elapsed / seconds)`.

        Args:
            step: optimiser steps taken.
            elapsed: seconds since training began (ignored without
                `seconds`).

        Returns:
            The progress, 1.0 or more once the run should end.
        """
        done = step / self.steps
        if self.seconds:
            done = max(done, elapsed / self.seconds)
        return done

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._start, self._step = time.perf_counter(), 0
        if self.resume:
            iterations = self.model.optimizer.iterations
            self._step = int(keras.ops.convert_to_numpy(iterations))

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        elapsed = time.perf_counter() - self._start
        self.model.optimizer.learning_rate = self.rate(
            self.progress(self._step, elapsed)
        )
        self._step += 1
