"""Inputs of the grouper: arrays, file paths or a folder, read one at a time."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from keras_patterns.utils.images import to_uint8
from keras_patterns.utils.io import read_image
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")

Images = PathLike | Sequence[PathLike | ArrayLike] | ArrayLike
"""What the grouper takes: a folder, a list of paths or arrays, or a batch."""


def list_inputs(images: Images) -> list[tuple[str, Path | ArrayLike]]:
    """Normalises the inputs into a list of `(source, array_or_path)`.

    Args:
        images: a folder (its image files, sorted, recursively), a list of
            paths, a list of arrays, or a batch array `(N, H, W, C)`.

    Returns:
        A `(source, entry)` pair per input: `source` is the file path, or
        `"#<index>"` for arrays; `entry` is a `Path` or the array.
    """
    if isinstance(images, (str, Path)):
        folder = Path(images)
        if not folder.is_dir():
            raise FileNotFoundError(
                f'"images" must be a folder, files or arrays. '
                f"Received: {str(folder)!r}, which is not a folder"
            )
        files = sorted(
            p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise ValueError(
                f"The folder {str(folder)!r} holds no image file "
                f"({', '.join(IMAGE_SUFFIXES)})."
            )
        return [(str(p), p) for p in files]
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return [(f"#{i}", image) for i, image in enumerate(images)]
    items = list(images)
    if not items:
        raise ValueError('"images" must not be empty.')
    return [
        (str(item), Path(item)) if isinstance(item, (str, Path)) else (f"#{i}", item)
        for i, item in enumerate(items)
    ]


def load_input(item: Path | ArrayLike) -> np.ndarray:
    """Reads one input as uint8 RGB `(H, W, 3)`; raises `ValueError` with a reason.

    Args:
        item: an entry of `list_inputs`: a `Path` to read, or an image
            array `(H, W)` or `(H, W, C)`.

    Returns:
        The image, uint8 `(H, W, 3)`.
    """
    if isinstance(item, Path):
        try:
            return read_image(item)
        except (OSError, SyntaxError) as error:
            raise ValueError(
                f"unreadable image: {type(error).__name__}: {error}"
            ) from None
    array = np.asarray(item)
    if array.ndim == 2:
        array = array[..., None]
    array = to_uint8(array, "image", batched=False)
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    return np.ascontiguousarray(array[..., :3])


def read_input(item: Path | ArrayLike) -> np.ndarray | str:
    """`load_input` for batch jobs: the image, or the reason it failed.

    Args:
        item: an entry of `list_inputs`.

    Returns:
        The uint8 `(H, W, 3)` image, or a `str` saying why it could not be
        read.
    """
    try:
        return load_input(item)
    except ValueError as error:
        return str(error)
