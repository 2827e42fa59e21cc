"""Type aliases of the public API's annotations."""

import os
from typing import Any

import numpy.typing as npt

PathLike = str | os.PathLike
"""A file or folder path."""

ArrayLike = npt.ArrayLike
"""Anything `np.asarray` takes: an array, a nested list, a scalar."""

Tensor = Any
"""A tensor of the active Keras backend (`tf.Tensor`, `jax.Array`,
`torch.Tensor`), a `KerasTensor` while a functional model is built, or a
NumPy array where a layer takes one."""

Shape = tuple[int | None, ...]
"""A tensor shape; `None` for an unknown dimension."""

Size = tuple[int, int]
"""An image size, `(height, width)`."""

__all__ = ["ArrayLike", "PathLike", "Shape", "Size", "Tensor"]
