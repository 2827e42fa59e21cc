"""A progress bar for long data work, drawn with Keras' own `Progbar`."""

import contextlib


class _Bar:
    def __init__(self, total, unit, enabled):
        self.count = 0
        self._bar = None
        if enabled and total:
            import keras

            self._bar = keras.utils.Progbar(total, unit_name=unit)

    def update(self, n=1, values=None):
        self.count += n
        if self._bar is not None:
            self._bar.update(self.count, values=values)


@contextlib.contextmanager
def progress_bar(total, unit="step", enabled=True):
    """A context giving an object whose `update(n)` advances a progress bar.

    Args:
        total: the number of units of work.
        unit: what a unit is called (shown as "pairs/s" and so on).
        enabled: `False` draws nothing (the counter still counts).
    """
    yield _Bar(total, unit, enabled)
