"""`fit_with_budget`: steps, the clock and what it logs."""

import logging
import time

import keras
import numpy as np
import pytest

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


def test_a_run_stopped_part_way_resumes_from_its_backup(tmp_path):
    """Stopped after 4 of 10 epochs and run again, training ends with the
    weights of a run never stopped: the weights, the optimiser and the
    learning rate schedule all go on from the backup."""

    class Stop(Exception):
        pass

    class StopAt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 4:
                raise Stop

    def model():
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        net.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss="mse")
        return net

    def batches():
        rng = np.random.default_rng(0)
        x = rng.normal(size=(4, 2)).astype("float32")
        while True:
            yield x, x.sum(1, keepdims=True) + 1

    whole = model()
    fit_with_budget(whole, batches(), steps=20, verbose=0, peak=0.1)

    backup = tmp_path / "backup"
    stopped = model()
    original_fit = stopped.fit

    def fit_then_stop(*args, **kwargs):
        kwargs["callbacks"] = [*kwargs["callbacks"], StopAt()]
        return original_fit(*args, **kwargs)

    stopped.fit = fit_then_stop
    with pytest.raises(Stop):
        fit_with_budget(
            stopped, batches(), steps=20, verbose=0, peak=0.1, backup=backup
        )
    assert int(stopped.optimizer.iterations.numpy()) == 8
    assert backup.exists()
    resumed = model()  # a new process would start from fresh weights
    fit_with_budget(resumed, batches(), steps=20, verbose=0, peak=0.1, backup=backup)
    assert int(resumed.optimizer.iterations.numpy()) == 20
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Without the schedule going on from step 8, the weights would differ.
    fresh = model()
    fit_with_budget(fresh, batches(), steps=12, verbose=0, peak=0.1)
    assert not np.allclose(fresh.get_weights()[0], whole.get_weights()[0])
    assert not backup.exists()  # removed once the run completed


def test_an_unbuilt_model_is_built_before_its_backup_is_read(tmp_path):
    """BackupAndRestore needs a built model: one built by no Input is built on
    the first batch, which is still trained on."""
    seen = []

    def batches():
        for i in range(1000):
            seen.append(i)
            yield np.full((4, 2), i, "float32"), np.ones((4, 1), "float32")

    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    assert not model.built
    done = fit_with_budget(model, batches(), steps=4, verbose=0, backup=tmp_path / "b")
    assert done == 4 and int(model.optimizer.iterations.numpy()) == 4
    assert seen[:4] == [0, 1, 2, 3] and len(seen) <= 6  # the first batch trained
