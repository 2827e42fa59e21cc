"""A progress bar for long data work, drawn with Keras' own `Progbar`."""

import contextlib
from collections.abc import Iterator


class _Bar:
    def __init__(self, total: int, unit: str, enabled: bool) -> None:
        self.count = 0
        self._bar = None
        if enabled and total != 0:
            import keras

            self._bar = keras.utils.Progbar(total, unit_name=unit)

    def update(self, n: int = 1, values: list[tuple[str, float]] | None = None) -> None:
        self.count += n
        if self._bar is not None:
            self._bar.update(self.count, values=values)


@contextlib.contextmanager
def progress_bar(
    total: int | None, unit: str = "step", enabled: bool = True
) -> Iterator[_Bar]:
    """A context giving an object whose `update(n)` advances a progress bar.

    Args:
        total: the number of units of work, or `None` when unknown (the
            bar then counts without an end).
        unit: what a unit is called (shown as "pairs/s" and so on).
        enabled: `False` draws nothing (the counter still counts).

    Yields:
        An object with `update(n=1, values=None)`, which advances the bar by
        `n` units (`values`: `(name, value)` pairs to show), and `count`,
        the units done.
    """
    yield _Bar(total, unit, enabled)
