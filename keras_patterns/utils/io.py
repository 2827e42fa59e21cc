"""File input/output shared by the data tools: atomic writes and safe reads."""

import contextlib
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
from PIL import Image

from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `path`; renames it onto `path` on success.

    Readers never see a half-written file: either the old content (or no
    file) or the complete new one. On error the temporary file is removed.

    Args:
        path: the file to write; missing parent folders are created.

    Yields:
        The temporary path to write to.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Writes `data` to `path` atomically.

    Args:
        path: the file to write.
        data: its new content.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: PathLike, text: str) -> None:
    """Writes `text` (UTF-8) to `path` atomically.

    Args:
        path: the file to write.
        text: its new content.
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def save_image_atomic(path: PathLike, array: ArrayLike, **save_kwargs: Any) -> None:
    """Saves a uint8 array as an image, atomically; the format follows the suffix.

    Args:
        path: the file to write, ending in `.jpg`, `.jpeg` or `.png`.
        array: a uint8 `(H, W)` or `(H, W, C)` image.
        **save_kwargs: options of Pillow's `Image.save` (`quality`, ...).
    """
    path = Path(path)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f'"path" must end in .jpg, .jpeg or .png. Received: path={str(path)!r}'
        )
    with atomic_path(path) as tmp:
        Image.fromarray(np.asarray(array)).save(tmp, format=fmt, **save_kwargs)


def read_image(path: PathLike, mode: str = "RGB") -> np.ndarray:
    """Reads an image file completely and returns a uint8 array.

    The whole file is decoded, so a truncated or corrupt file raises
    `OSError` here rather than later in a training loop.

    Args:
        path: the file to read.
        mode: PIL mode to convert to (`"RGB"` gives `(H, W, 3)`).

    Returns:
        uint8 array.
    """
    with Image.open(path) as image:
        image.load()
        return np.asarray(image.convert(mode) if image.mode != mode else image)


def _png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


def encode_png_gray(labels: ArrayLike) -> bytes:
    """Encodes a uint8 `(H, W)` label map as an 8-bit greyscale PNG.

    Label maps are long runs of equal values, which zlib's run-length
    strategy compresses faster than Pillow's default encoder, into smaller
    files. Any PNG reader decodes the result.

    Args:
        labels: a uint8 `(H, W)` label map.

    Returns:
        The PNG file as `bytes`.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype != np.uint8:
        raise ValueError(
            '"labels" must be a uint8 array of shape (H, W). '
            f"Received: shape {labels.shape}, dtype {labels.dtype}"
        )
    height, width = labels.shape
    rows = np.zeros((height, width + 1), np.uint8)  # Filter byte 0 ("none") per row.
    rows[:, 1:] = labels
    packer = zlib.compressobj(6, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    data = packer.compress(rows.tobytes()) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", data),
            _png_chunk(b"IEND", b""),
        ]
    )


def save_model_atomic(model: keras.Model, path: PathLike) -> Path:
    """`model.save(path)` (a `.keras` file), atomically.

    Args:
        model: the Keras model to save.
        path: the file to write.

    Returns:
        `path`, as a `Path`.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        staged = tmp.with_name(tmp.name + ".keras")  # Keras insists on the suffix
        try:
            model.save(staged)
            staged.replace(tmp)
        finally:
            staged.unlink(missing_ok=True)
    return path
