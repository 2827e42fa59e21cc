"""Keras callbacks shared by the training recipes, examples and benchmarks."""

import time

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
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = float(seconds)
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self._start > self.seconds:
            self.model.stop_training = True
            self.stopped_early = True
