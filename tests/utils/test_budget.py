"""`fit_with_budget`: steps, the clock and what it logs."""

import logging
import time

import keras
import numpy as np

from keras_patterns.utils.budget import fit_with_budget


def _model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return model


def _batches():
    while True:
        yield np.ones((4, 2), "float32"), np.ones((4, 1), "float32")


def test_runs_the_steps_asked_for(caplog):
    model = _model()
    with caplog.at_level(logging.INFO, "keras_patterns"):
        assert fit_with_budget(model, _batches(), steps=20, verbose=0) == 20
    assert int(model.optimizer.iterations.numpy()) == 20
    assert "time limit" not in caplog.text


def test_the_clock_stops_it_and_says_so(caplog):
    def slow_batches():  # 0.3 s a batch
        for batch in _batches():
            time.sleep(0.3)
            yield batch

    model = _model()
    with caplog.at_level(logging.INFO, "keras_patterns"):
        # A budget of 100 s that began 99.5 s ago leaves its floor, 1 s.
        done = fit_with_budget(
            model,
            slow_batches(),
            steps=500,
            seconds=100.0,
            verbose=0,
            began=time.perf_counter() - 99.5,
        )
    # The first step traces the model, so one step may already spend the second.
    assert 1 <= done <= 6 and int(model.optimizer.iterations.numpy()) == done
    assert f"time limit (1 s) reached: {done} of 500 steps" in caplog.text


def test_peak_anneals_the_learning_rate():
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    fit_with_budget(model, _batches(), steps=10, verbose=0, peak=0.1)
    # DeadlineCosineDecay ends at its floor, 0.
    assert float(model.optimizer.learning_rate.numpy()) < 0.01
