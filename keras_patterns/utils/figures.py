"""Pictures of training: loss and metrics per epoch, drawn with matplotlib.

Figures are built as `matplotlib.figure.Figure` objects on the Agg canvas,
never through `pyplot`, so drawing touches no global state (no current
figure, no interactive backend) and is safe in threads and on servers.
matplotlib is imported only when a picture is drawn.
"""

from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np

from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.typing import PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from PIL.Image import Image

HistoryLike = keras.callbacks.History | Mapping[str, Sequence[float]]

DPI = 100
PANELS_PER_ROW = 3
# Keys of `History.history` that describe the optimiser, not the model.
_NOT_METRICS = ("learning_rate", "lr")


def new_figure(size: tuple[int, int]) -> "Figure":
    """A `matplotlib.figure.Figure` of `size` pixels `(width, height)`, on Agg.

    Args:
        size: `(width, height)` in pixels, each at least 50.

    Returns:
        The figure, attached to a `FigureCanvasAgg`.

    Raises:
        ValueError: if `size` is not two ints >= 50.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, int) and v >= 50 for v in size)
    ):
        raise ValueError(
            '"size" must be (width, height) in pixels, two ints >= 50. '
            f"Received: size={size!r}"
        )
    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def figure_to_image(figure: "Figure") -> "Image":
    """Renders a figure to an RGB `PIL.Image.Image` of its pixel size.

    Args:
        figure: a `matplotlib.figure.Figure` made by `new_figure`.

    Returns:
        The rendered `PIL.Image.Image` (RGB).
    """
    from PIL import Image

    figure.canvas.draw()
    return Image.fromarray(np.asarray(figure.canvas.buffer_rgba())).convert("RGB")


def save_figure(figure: "Figure", path: PathLike) -> Path:
    """Writes `figure` to `path` as PNG, atomically (see `utils.io.atomic_path`).

    Args:
        figure: a `matplotlib.figure.Figure` made by `new_figure`.
        path: the PNG file; missing parent folders are created.

    Returns:
        `path`, as a `Path`.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI)
    return path


def _history_dict(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs:
        raise ValueError(
            '"history" must be a keras.callbacks.History or its non-empty '
            f"`.history` dict of per-epoch values. Received: {history!r}"
        )
    return {str(k): [float(v) for v in values] for k, values in logs.items()}


def _chosen_metrics(logs, metrics):
    train = [k for k in logs if not k.startswith("val_")]
    if metrics is None:
        chosen = [k for k in train if k not in _NOT_METRICS]
        chosen.sort(key=lambda k: k != "loss")  # the loss first
        return chosen or train
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in train]
    if not metrics or unknown:
        raise ValueError(
            f'"metrics" must name keys of the history ({train}). '
            f"Received: metrics={metrics!r}"
        )
    return metrics


def history_figure(
    history: HistoryLike,
    metrics: Sequence[str] | str | None = None,
    title: str | None = "Training curves",
    size: tuple[int, int] | None = None,
) -> "Figure":
    """A figure of training curves: one panel per metric, value against epoch.

    Panels go in rows of `PANELS_PER_ROW`. Each panel draws the training
    values (`"train"`) and, when the history has them, the validation
    values (`"val_" + name`, `"validation"`), with the epoch (from 1) on the
    x axis and the metric's name on the y axis.

    Args:
        history: a `keras.callbacks.History` (what `fit` returns) or its
            `.history` dict `{name: [value per epoch]}`.
        metrics: names to draw; by default the loss and every other
            training metric (not the learning rate, nor `val_` keys, which
            go beside their metric).
        title: the figure's title, or `None`.
        size: `(width, height)` in pixels; by default 400 per column by
            300 per row (and 20 for the title).

    Returns:
        A `matplotlib.figure.Figure` on the Agg canvas.

    Raises:
        ValueError: if `history` is empty or not a history, or `metrics`
            names a key it lacks.

    Example:

    >>> from keras_patterns.utils.figures import history_figure
    >>> figure = history_figure({"loss": [1.0, 0.5], "val_loss": [1.2, 0.8]})
    >>> [line.get_label() for line in figure.axes[0].lines]
    ['train', 'validation']
    """
    from matplotlib.ticker import MaxNLocator

    logs = _history_dict(history)
    names = _chosen_metrics(logs, metrics)
    columns = min(len(names), PANELS_PER_ROW)
    rows = -(-len(names) // columns)
    figure = new_figure(size or (400 * columns, 300 * rows + 20))
    for i, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, i + 1)
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in logs:
                epochs = range(1, len(logs[key]) + 1)
                axes.plot(epochs, logs[key], marker="o", markersize=3, label=label)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(name)
        axes.ticklabel_format(axis="y", useOffset=False)
        axes.grid(alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(
    history: HistoryLike,
    path: PathLike,
    metrics: Sequence[str] | str | None = None,
    title: str | None = "Training curves",
    size: tuple[int, int] | None = None,
) -> Path:
    """Writes training curves (loss and metrics per epoch) to a PNG file.

    Draws `history_figure(history, metrics, title, size)` and writes it to
    `path` atomically: readers see the old file or the complete new one.

    Args:
        history: a `keras.callbacks.History` (what `fit` returns, also
            `model.history` after `fit`) or its `.history` dict.
        path: the PNG file; missing parent folders are created.
        metrics: names to draw; by default the loss and every other
            training metric (validation values go beside their metric).
        title: the figure's title, or `None`.
        size: `(width, height)` in pixels; by default 400 per column by
            300 per row (and 20 for the title).

    Returns:
        `path`, as a `Path`.

    Raises:
        ValueError: if `history` is empty or not a history, or `metrics`
            names a key it lacks.

    Example:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from keras_patterns.utils.figures import plot_history
    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     plot_history(history, Path(folder) / "curves" / "model.png").name
    'model.png'

    After `model.fit(...)`, pass what it returned, or `model.history`.
    """
    return save_figure(history_figure(history, metrics, title, size), path)
