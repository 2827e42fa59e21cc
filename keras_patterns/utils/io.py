"""File input/output shared by the data tools: atomic writes and safe reads."""

import contextlib
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
from PIL import Image

from keras_patterns.utils.image_reader import ImageReadError  # noqa: F401 (re-exported)
from keras_patterns.utils.image_reader import read_image  # noqa: F401 (re-exported)
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
    # Not `tempfile.mkstemp`: its files are private (0600), and the renamed
    # file would keep that mode. Created like `open()` creates a file, the
    # umask decides, so an output folder is as readable as the user wants.
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
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


def save_array_atomic(path: PathLike, array: ArrayLike) -> None:
    """Writes `array` to `path` as a `.npy` file, atomically, never pickled.

    Args:
        path: the file to write (its name is kept as is).
        array: a numeric array.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        np.save(file, np.asarray(array), allow_pickle=False)


def read_array(path: PathLike) -> np.ndarray:
    """Reads a `.npy` file without unpickling; errors name the file.

    Args:
        path: the file to read.

    Returns:
        The array.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` is not a `.npy` file of a plain array.
    """
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing") from None
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path} is not a valid .npy file: {error}") from None


def read_json(path: PathLike) -> Any:
    """Reads a JSON file; errors name the file.

    Args:
        path: the file to read (UTF-8).

    Returns:
        The decoded value.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` is not valid JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None


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


class NpyWriter:
    """Appends rows to a `.npy` file whose length is not known in advance.

    Rows go straight to disk as they come, so memory holds one chunk at a
    time; `close` writes the final shape into the header and renames the
    file into place (until then readers see no file, or the previous one).
    The result is an ordinary `.npy` (format 1.0), which
    `np.load(path, mmap_mode="r")` maps without reading it. The header is
    written with room for any row count, padded with spaces as the format
    allows.

    Args:
        path: the `.npy` file to write.
        dtype: the rows' dtype.

    Example:

    >>> import numpy as np, tempfile, pathlib
    >>> from keras_patterns.utils.io import NpyWriter
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.npy"
    >>> with NpyWriter(path) as writer:
    ...     writer.append(np.ones((2, 3)))
    ...     writer.append(np.zeros((1, 3)))
    >>> np.load(path).shape
    (3, 3)
    """

    HEADER_BYTES = 128  # magic (6) + version (2) + length (2) + the padded dict

    def __init__(self, path: PathLike, dtype: Any = np.float32) -> None:
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.rows = 0
        self.row_shape = None
        self._context = atomic_path(self.path)
        self._tmp = self._context.__enter__()
        self._file = open(self._tmp, "wb")  # noqa: SIM115 (closed by close())
        self._file.write(self._header((0,)))

    def _header(self, shape):
        text = (
            f"{{'descr': {self.dtype.str!r}, 'fortran_order': False, "
            f"'shape': {tuple(shape)!r}, }}"
        )
        size = self.HEADER_BYTES - 10
        if len(text) + 1 > size:
            raise ValueError(f"rows of shape {shape[1:]} are too wide for NpyWriter")
        return (
            b"\x93NUMPY\x01\x00"
            + struct.pack("<H", size)
            + (text.ljust(size - 1) + "\n").encode("latin1")
        )

    def append(self, rows: ArrayLike) -> None:
        """Writes `rows` (`(n, ...)`) after the rows written so far.

        Args:
            rows: an array whose trailing shape matches the earlier rows'.
        """
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if self.row_shape is None:
            self.row_shape = rows.shape[1:]
        elif rows.shape[1:] != self.row_shape:
            raise ValueError(
                f'"rows" must have shape (n, {", ".join(map(str, self.row_shape))}) '
                f"like the rows before. Received: {rows.shape}"
            )
        self._file.write(rows.tobytes())
        self.rows += len(rows)

    def close(self) -> Path:
        """Finishes the header and moves the file into place; returns its path."""
        if self._file.closed:
            return self.path
        self._file.seek(0)
        self._file.write(self._header((self.rows, *(self.row_shape or ()))))
        self._file.close()
        self._context.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        """Drops the partial file."""
        if not self._file.closed:
            self._file.close()
            with contextlib.suppress(BaseException):
                self._context.__exit__(RuntimeError, RuntimeError(), None)

    def __enter__(self) -> "NpyWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class RowStore:
    """Rows appended a chunk at a time, kept in memory or written to a `.npy`.

    With a `path`, the rows go to disk as they come (`NpyWriter`) and
    `finish` maps the file; without, the chunks are kept and `finish`
    joins them. Either way the result is one `(n, ...)` array.

    Args:
        path: a `.npy` file to write, or `None` to keep the rows in memory.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.utils.io import RowStore
    >>> store = RowStore()
    >>> store.append(np.ones((2, 3)))
    >>> store.append(np.zeros((1, 3)))
    >>> store.finish().shape
    (3, 3)
    """

    def __init__(self, path: PathLike | None = None) -> None:
        self.writer = None if path is None else NpyWriter(path)
        self.chunks = []

    def append(self, rows: ArrayLike) -> None:
        """Adds `rows` after the rows appended so far."""
        if self.writer is None:
            self.chunks.append(np.asarray(rows))
        else:
            self.writer.append(rows)

    def finish(self) -> np.ndarray:
        """All the rows: joined in memory, or the finished file memory-mapped.

        `(0, 0)` when nothing was appended in memory.
        """
        if self.writer is not None:
            return np.load(self.writer.close(), mmap_mode="r")
        return np.concatenate(self.chunks) if self.chunks else np.zeros((0, 0))

    def abort(self) -> None:
        """Drops a partial file."""
        if self.writer is not None:
            self.writer.abort()
