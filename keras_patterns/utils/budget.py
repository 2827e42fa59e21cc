"""`fit` within a budget of steps and of wall-clock seconds."""

import logging
import time
from collections.abc import Iterable
from typing import Any

import keras

from keras_patterns.utils.callbacks import DeadlineCosineDecay
from keras_patterns.utils.callbacks import TimeLimit

logger = logging.getLogger(__name__)


def _build_on_first_batch(model, data):
    """Builds `model` on the inputs of `data`'s first batch; returns the data
    from that batch on (a data set starts over anyway)."""
    if hasattr(data, "take"):  # a tf.data.Dataset: iterating it again restarts
        model(next(iter(data))[0])
        return data
    iterator = iter(data)
    first = next(iterator)
    model(first[0])

    def batches():  # Keras takes generators, not other iterators
        yield first
        yield from iterator

    return batches()


def fit_with_budget(
    model: keras.Model,
    data: Iterable[Any],
    steps: int,
    seconds: float | None = None,
    verbose: int | str = 2,
    peak: float | None = None,
    began: float | None = None,
    backup: str | None = None,
) -> int:
    """Trains `model` on `data` for `steps` steps or `seconds`, whichever ends first.

    The steps are spread over up to 10 epochs, so Keras' progress bar reports
    as it goes. With `peak`, the learning rate warms up to it and decays to
    zero by `DeadlineCosineDecay`, so a run the clock cuts short still
    anneals. A run that the clock stops is logged (at `INFO`).

    Args:
        model: a compiled `keras.Model`.
        data: an endless data set (a `tf.data.Dataset` that repeats, or a
            generator); the model sees `steps` batches of it at most.
        steps: optimiser steps.
        seconds: optional wall-clock budget, counted from `began`.
        verbose: Keras `fit` verbosity.
        peak: optional peak learning rate of the warm-up and cosine decay;
            the optimiser must then have a float learning rate.
        began: a `time.perf_counter()` reading the budget started at (for
            example before drawing the training data); by default now.
        backup: optional folder for `keras.callbacks.BackupAndRestore`: the
            model and optimiser are saved there after every epoch (a tenth
            of the steps), and a run that finds a backup there goes on from
            it, learning rate schedule included; the folder is removed when
            the run completes. The data set starts over on resuming.

    Returns:
        The number of steps trained.

    Example:

    >>> import keras, numpy as np
    >>> from keras_patterns.utils.budget import fit_with_budget
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> def batches():
    ...     while True:
    ...         yield np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    >>> fit_with_budget(model, batches(), steps=6, verbose=0)
    6
    """
    if seconds and began is not None:
        seconds = max(seconds - (time.perf_counter() - began), 1.0)
    epochs = max(1, min(10, steps))
    limit = TimeLimit(seconds or float("inf"))
    callbacks = [limit]
    if backup is not None:  # first: it restores before the schedule reads
        callbacks.insert(0, keras.callbacks.BackupAndRestore(str(backup)))
        if not model.built:  # BackupAndRestore restores into built models
            data = _build_on_first_batch(model, data)
    if peak is not None:
        callbacks.append(DeadlineCosineDecay(peak, steps, seconds, resume=bool(backup)))
    model.fit(
        data,
        epochs=epochs,
        steps_per_epoch=-(-steps // epochs),
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,  # the data sets shuffle themselves
    )
    if limit.stopped_early:
        logger.info(
            "time limit (%.0f s) reached: %d of %d steps",
            seconds,
            limit.steps_done,
            steps,
        )
    return limit.steps_done
