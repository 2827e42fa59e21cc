"""File input/output shared by the data tools: atomic writes and safe reads."""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` on success.

    Readers never see a half-written file: either the old content (or no
    file) or the complete new one. On error the temporary file is removed.
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


def write_bytes_atomic(path, data):
    """Writes `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def save_image_atomic(path, array, **save_kwargs):
    """Saves a uint8 array as an image, atomically; the format follows the suffix."""
    path = Path(path)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f'"path" must end in .jpg, .jpeg or .png. Received: path={str(path)!r}'
        )
    with atomic_path(path) as tmp:
        Image.fromarray(np.asarray(array)).save(tmp, format=fmt, **save_kwargs)


def read_image(path, mode="RGB"):
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
