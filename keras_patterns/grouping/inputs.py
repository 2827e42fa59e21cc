"""Inputs of the grouper: arrays, file paths or a folder, read one at a time."""

import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from collections.abc import Sized
from pathlib import Path

import numpy as np
from PIL import Image

from keras_patterns.utils.image_reader import ImageReadError
from keras_patterns.utils.image_reader import on_white
from keras_patterns.utils.image_reader import read_image
from keras_patterns.utils.images import to_uint8
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")

# Grey levels a photo's backdrop changes by, at most, from pixel to pixel
# along its border, on average (`looks_like_product_photo`).
SMOOTH_BORDER = 4.0

Images = PathLike | Iterable[PathLike | ArrayLike] | ArrayLike
"""What the grouper takes: a folder, paths or arrays (a list or any iterable)."""

Garments = Sequence[str | None] | Mapping[str, str | None]
"""The garment named for each input: one class name (or `None`) per input, or
a mapping from an input's path or file name to one."""


def _is_folder(entry):
    try:
        return entry.is_dir()
    except OSError:  # a link loop: yielded as a file, for the reader to report
        return False


def _walk(folder, seen=None):
    """Image files under `folder`, depth first in name order, found lazily.

    The order is `sorted(folder.rglob("*"))`'s (a path sorts by its parts),
    but a folder of a million files is never listed at once. Symbolic links
    to folders are followed, each folder once, so a link back up the tree
    ends rather than recursing forever. Files are yielded whether or not
    they can be read (a broken link included): the reader reports those.
    """
    seen = set() if seen is None else seen
    info = os.stat(folder)
    if (info.st_dev, info.st_ino) in seen:
        return
    seen.add((info.st_dev, info.st_ino))
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if _is_folder(entry):
            yield from _walk(entry.path, seen)
        elif Path(entry.name).suffix.lower() in IMAGE_SUFFIXES:
            yield Path(entry.path)


def iter_inputs(images: Images) -> Iterator[tuple[str, Path | ArrayLike]]:
    """Yields `(source, array_or_path)` for each input, lazily.

    Args:
        images: a folder (its image files, in sorted order, recursively,
            walked lazily), a list of paths or arrays, a batch array
            `(N, H, W, C)`, or any iterable of paths and arrays (a
            generator is consumed once, as it goes).

    Yields:
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
        files = _walk(folder)
        first = next(files, None)
        if first is None:
            raise ValueError(
                f"The folder {str(folder)!r} holds no image file "
                f"({', '.join(IMAGE_SUFFIXES)})."
            )
        yield str(first), first
        for path in files:
            yield str(path), path
        return
    if isinstance(images, np.ndarray) and images.ndim == 4:
        for i, image in enumerate(images):
            yield f"#{i}", image
        return
    empty = True
    for i, item in enumerate(images):
        empty = False
        if isinstance(item, (str, Path)):
            yield str(item), Path(item)
        else:
            yield f"#{i}", item
    if empty:
        raise ValueError('"images" must not be empty.')


def count_inputs(images: Images) -> int | None:
    """How many inputs `images` holds, or `None` when that means reading them.

    Args:
        images: what `iter_inputs` takes.

    Returns:
        The count for a list or batch array; `None` for a folder or an
        iterator (which would have to be walked or consumed).
    """
    if isinstance(images, (str, Path)) or not isinstance(images, Sized):
        return None
    return len(images)


def list_inputs(images: Images) -> list[tuple[str, Path | ArrayLike]]:
    """`iter_inputs` as a list.

    Args:
        images: what `iter_inputs` takes.

    Returns:
        A `(source, entry)` pair per input.
    """
    return list(iter_inputs(images))


def load_input(item: Path | ArrayLike) -> np.ndarray:
    """Reads one input as uint8 RGB `(H, W, 3)`; raises `ValueError` with a reason.

    Files go through `keras_patterns.utils.image_reader.read_image` (EXIF
    orientation applied, first frame, transparency on white, refused over
    `MAX_IMAGE_PIXELS` there). Arrays must be `(H, W)` or `(H, W, C)` with
    C in (1, 3, 4), not empty, uint8 or float in [0, 1] without NaN or
    infinity; four channels are RGBA, composited on white like files.

    Args:
        item: an entry of `list_inputs`: a `Path` to read, or an image
            array `(H, W)` or `(H, W, C)`.

    Returns:
        The image, uint8 `(H, W, 3)`.

    Raises:
        ValueError: the input is not a readable image; the message says why.
    """
    if isinstance(item, Path):
        try:
            return read_image(item)
        except ImageReadError as error:
            raise ValueError(f"unreadable image: {error}") from None
    try:
        array = np.asarray(item)
    except (ValueError, TypeError) as error:  # ragged nested lists, odd objects
        raise ValueError(f"not an image array: {error}") from None
    if array.ndim == 2:
        array = array[..., None]
    array = to_uint8(array, "image", batched=False)
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    if array.shape[-1] == 4:
        return np.asarray(on_white(Image.fromarray(np.ascontiguousarray(array))))
    return np.ascontiguousarray(array)


def read_input(item: Path | ArrayLike) -> np.ndarray | str:
    """`load_input` for batch jobs: the image, or the reason it failed.

    Nothing one input holds ends a batch: every failure to read it (an
    `Exception`) becomes its reason. Interrupts (`KeyboardInterrupt`,
    `SystemExit`) still stop the job.

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
    except Exception as error:  # a per-item failure, whatever its type
        return f"unreadable input: {type(error).__name__}: {error}"


def looks_like_product_photo(image: ArrayLike, border: float = 0.06) -> bool:
    """Whether an image looks like a product photo rather than a swatch.

    A product photo shows a subject on a backdrop: its border is smooth
    (a plain or gently graded backdrop: little change from pixel to pixel)
    while much of its centre differs from the border's colour. A swatch is
    fabric to its edges (a busy border), or one colour throughout.

    Args:
        image: uint8 `(H, W, 3)`.
        border: the border's width, as a share of each side.

    Returns:
        `True` for a photo-like image.

    Example:

    >>> import numpy as np
    >>> photo = np.full((120, 90, 3), 235, np.uint8)
    >>> photo[20:110, 30:60] = (40, 60, 150)  # a figure on a light backdrop
    >>> stripes = np.zeros((64, 64, 3), np.uint8)
    >>> stripes[:, ::8] = 255
    >>> looks_like_product_photo(photo), looks_like_product_photo(stripes)
    (True, False)
    """
    image = np.asarray(image, np.float32)
    height, width = image.shape[:2]
    rows, cols = max(1, round(height * border)), max(1, round(width * border))
    grey = image.mean(axis=-1)
    down, across = np.abs(np.diff(grey, axis=0)), np.abs(np.diff(grey, axis=1))
    steps = np.concatenate(
        [
            across[:rows].ravel(),
            across[-rows:].ravel(),
            down[:, :cols].ravel(),
            down[:, -cols:].ravel(),
        ]
    )
    if steps.mean() > SMOOTH_BORDER:  # fabric to the edges
        return False
    ring = np.concatenate(
        [
            image[:rows].reshape(-1, 3),
            image[-rows:].reshape(-1, 3),
            image[:, :cols].reshape(-1, 3),
            image[:, -cols:].reshape(-1, 3),
        ]
    )
    centre = image[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
    subject = np.abs(centre - np.median(ring, axis=0)).max(axis=-1) > 30
    return bool(subject.mean() > 0.35)
