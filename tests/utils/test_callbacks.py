"""TimeLimit and DeadlineCosineDecay against a fake clock and hand-computed rates."""

import math
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from keras_patterns.utils import callbacks
from keras_patterns.utils.callbacks import DeadlineCosineDecay
from keras_patterns.utils.callbacks import TimeLimit


class FakeClock:
    """`time.perf_counter` that advances `tick` seconds per reading."""

    def __init__(self, tick):
        self.now, self.tick = 0.0, tick

    def __call__(self):
        self.now += self.tick
        return self.now


class RecordRate(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


def fit(callback_list, steps=10, epochs=2):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.5), "mse", run_eagerly=True)
    x, y = np.ones((steps * 4, 3)), np.zeros((steps * 4, 1))
    recorder = RecordRate()
    model.fit(
        x,
        y,
        batch_size=4 * epochs,
        epochs=epochs,
        callbacks=[*callback_list, recorder],
        verbose=0,
    )
    return recorder.rates


def test_rate_by_hand():
    schedule = DeadlineCosineDecay(2.0, steps=10, warmup=0.2, floor=0.5)
    assert schedule.rate(0.0) == 0.0
    assert schedule.rate(0.1) == pytest.approx(1.0)  # half-way up the warm-up
    assert schedule.rate(0.2) == pytest.approx(2.0)  # the peak
    # A third of the way down: 0.5 + 1.5 * (1 + cos(pi / 3)) / 2 = 1.625.
    assert schedule.rate(0.2 + 0.8 / 3) == pytest.approx(1.625)
    assert schedule.rate(1.0) == pytest.approx(0.5)
    assert schedule.rate(3.0) == pytest.approx(0.5)  # past the end: the floor


def test_progress_is_the_larger_of_steps_and_time():
    schedule = DeadlineCosineDecay(1.0, steps=100, seconds=50.0)
    assert schedule.progress(10, 1.0) == pytest.approx(0.1)  # steps lead
    assert schedule.progress(10, 25.0) == pytest.approx(0.5)  # the clock leads
    assert DeadlineCosineDecay(1.0, steps=100).progress(10, 1e6) == 0.1


def test_fit_follows_the_step_schedule_without_a_deadline():
    schedule = DeadlineCosineDecay(0.5, steps=10, warmup=0.1)
    rates = fit([schedule], steps=10, epochs=2)
    expected = [0.0] + [
        0.25 * (1 + math.cos(math.pi * (s - 1) / 9)) for s in range(1, 10)
    ]
    np.testing.assert_allclose(rates, expected, atol=1e-7)


def test_a_deadline_paces_the_decay_and_time_limit_stops(monkeypatch):
    # Each reading of the callbacks' clock advances 1 s. Both read it at the
    # start (t = 1, 2); then the schedule reads it before each batch and
    # TimeLimit after: batch b begins 2b + 1 s into the schedule's run and
    # TimeLimit sees 2b + 3 s after it, so it stops after batch 3 (9 > 8).
    monkeypatch.setattr(callbacks, "time", SimpleNamespace(perf_counter=FakeClock(1)))
    limit = TimeLimit(8.0)
    schedule = DeadlineCosineDecay(1.0, steps=1000, seconds=20.0, warmup=0.0)
    rates = fit([limit, schedule], steps=10, epochs=1)
    assert limit.stopped_early
    assert len(rates) == limit.steps_done == 4
    elapsed = [2 * b + 1 for b in range(4)]
    expected = [0.5 * (1 + math.cos(math.pi * t / 20.0)) for t in elapsed]
    np.testing.assert_allclose(rates, expected, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"warmup": 1.0}, r'"warmup" must lie in \[0, 1\). Received: warmup=1.0'),
        ({"steps": 0}, r'"steps" must be at least 1. Received: steps=0'),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DeadlineCosineDecay(1.0, **{"steps": 10, **kwargs})
