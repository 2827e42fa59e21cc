"""Training curves: the drawn lines carry the history's values; the PNG decodes."""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_patterns.utils.figures import history_figure
from keras_patterns.utils.figures import plot_history

HISTORY = {
    "loss": [0.9, 0.6, 0.45, 0.4],
    "val_loss": [1.0, 0.8, 0.7, 0.65],
    "mean_iou": [0.2, 0.35, 0.5, 0.55],
    "learning_rate": [1e-3, 8e-4, 5e-4, 1e-4],
}


def _lines(axes):
    return {line.get_label(): line.get_data() for line in axes.lines}


def test_lines_hold_the_history_per_epoch():
    figure = history_figure(HISTORY)
    loss, iou = figure.axes  # the learning rate is not a metric
    assert (loss.get_xlabel(), loss.get_ylabel()) == ("epoch", "loss")
    assert (iou.get_xlabel(), iou.get_ylabel()) == ("epoch", "mean_iou")
    lines = _lines(loss)
    np.testing.assert_array_equal(lines["train"][0], [1, 2, 3, 4])
    np.testing.assert_array_equal(lines["train"][1], HISTORY["loss"])
    np.testing.assert_array_equal(lines["validation"][1], HISTORY["val_loss"])
    assert list(_lines(iou)) == ["train"]  # no val_mean_iou in the history
    np.testing.assert_array_equal(_lines(iou)["train"][1], HISTORY["mean_iou"])
    assert [t.get_text() for t in loss.get_legend().get_texts()] == [
        "train",
        "validation",
    ]
    assert figure._suptitle.get_text() == "Training curves"


def test_chosen_metrics_only():
    figure = history_figure(HISTORY, metrics=["learning_rate"], title=None)
    (axes,) = figure.axes
    assert axes.get_ylabel() == "learning_rate"
    np.testing.assert_array_equal(_lines(axes)["train"][1], HISTORY["learning_rate"])


def test_keras_history_to_png_of_the_requested_size(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0)
    figure = history_figure(history)
    np.testing.assert_allclose(
        _lines(figure.axes[1])["validation"][1], history.history["val_mae"]
    )
    path = plot_history(history, tmp_path / "curves" / "model.png", size=(500, 260))
    assert path == tmp_path / "curves" / "model.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (500, 260)
    assert [p.name for p in path.parent.iterdir()] == ["model.png"]  # no temp left


@pytest.mark.parametrize(
    "history, metrics, match",
    [
        ({}, None, '"history" must be'),
        ([1, 2], None, '"history" must be'),
        (HISTORY, ["accuracy"], '"metrics" must name keys'),
        (HISTORY, ["val_loss"], '"metrics" must name keys'),
    ],
)
def test_bad_input_is_named(history, metrics, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        plot_history(history, tmp_path / "x.png", metrics=metrics)


def test_bad_size_is_named():
    with pytest.raises(ValueError, match='"size" must be'):
        history_figure(HISTORY, size=(0, 100))


def test_many_metrics_wrap_into_rows():
    logs = {name: [1.0, 2.0] for name in ("loss", "a", "b", "c", "d")}
    figure = history_figure(logs)
    assert len(figure.axes) == 5
    rows = {round(axes.get_position().y0, 3) for axes in figure.axes}
    assert len(rows) == 2  # three panels, then two
    width, height = figure.canvas.get_width_height()
    assert (width, height) == (1200, 620)
