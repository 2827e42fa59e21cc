"""The one image reader: every file the package reads as a picture comes here.

A batch job reads thousands of files it did not write. Whatever one of
them holds (a truncated download, a decompression bomb, a text file named
`.jpg`, a symbolic link to nowhere, a 16-bit scan, a phone photo stored
sideways) the reader either returns the picture as it is meant to be seen
or raises one exception type, `ImageReadError`, whose message names the
file and the reason. Batch code catches that type and records the reason
against the item; nothing else escapes a read.
"""

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError

from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_int

MAX_IMAGE_PIXELS = 178_956_970
"""Images with more pixels than this are refused before they are decoded.

The value is where Pillow itself stops (twice `PIL.Image.MAX_IMAGE_PIXELS`),
about 13,400 x 13,400: seven times a 24-megapixel photo, above a
100-megapixel medium-format one, and 537 MB once decoded to RGB. Set it
lower to bound the memory one photo may take (the grouper decodes a few
ahead); set it higher only together with `PIL.Image.MAX_IMAGE_PIXELS`,
which Pillow checks first. `read_image(max_pixels=...)` overrides it for
one call.
"""

_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_PILLOW_BOMB = re.compile(r"\((\d+) pixels\)")
_BOMBS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class ImageReadError(ValueError, OSError):
    """One file could not be read as an image; the message says which and why.

    It is a `ValueError` (what batch code catches per item) and an
    `OSError` (what callers of the earlier reader caught).

    Args:
        name: the file, as messages show it.
        reason: why it could not be read.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _check_limit(max_pixels):
    if max_pixels is None:
        return MAX_IMAGE_PIXELS, "keras_patterns.utils.image_reader.MAX_IMAGE_PIXELS"
    return check_int(max_pixels, "max_pixels"), "max_pixels"


def _too_many_pixels(pixels, limit, setting, size=None):
    if pixels <= limit:  # within ours, so Pillow's own limit refused it
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        setting = "2 x PIL.Image.MAX_IMAGE_PIXELS, which Pillow checks first"
    dimensions = "" if size is None else f"{size[0]} x {size[1]} = "
    return (
        f"{dimensions}{pixels:,} pixels is over the limit of {limit:,} "
        f"({setting}); refused before decoding"
    )


def _reason(error, source, limit, setting):
    """Says in words why reading `source` raised `error`."""
    path = None if hasattr(source, "read") else os.fspath(source)
    if isinstance(error, _BOMBS):
        found = _PILLOW_BOMB.search(str(error))
        if found is None:
            return f"refused as a decompression bomb: {error}"
        if isinstance(error, Image.DecompressionBombWarning):
            return (
                f"{int(found.group(1)):,} pixels is over Pillow's warning limit "
                f"of {Image.MAX_IMAGE_PIXELS:,} (PIL.Image.MAX_IMAGE_PIXELS), "
                "and warnings are errors here"
            )
        return _too_many_pixels(int(found.group(1)), limit, setting)
    if isinstance(error, FileNotFoundError) and path and os.path.islink(path):
        with contextlib.suppress(OSError):  # the link may go meanwhile
            return f"broken symbolic link to {os.readlink(path)}"
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not an image file"
    if isinstance(error, OSError) and error.errno == errno.ELOOP:
        return "symbolic link loop (a link that leads back to itself)"
    if isinstance(error, UnidentifiedImageError):
        with contextlib.suppress(OSError, AttributeError):  # a stream of no size
            if (os.path.getsize(path) if path else len(source.getbuffer())) == 0:
                return "empty file (0 bytes)"
        return "not an image Pillow can read (unknown or damaged format)"
    if isinstance(error, MemoryError):
        return "not enough memory to decode it"
    return f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def open_image(
    source: PathLike | BinaryIO,
    max_pixels: int | None = None,
    name: str | None = None,
) -> Iterator[Image.Image]:
    """Opens an image lazily, refusing it from its header when it is too large.

    `Image.open` reads only the header, so a decompression bomb is refused
    here without allocating its pixels. Everything raised inside the
    `with` block (keep it to Pillow calls) comes out as `ImageReadError`:
    Pillow's decoders raise many types on hostile files (`OSError`,
    `SyntaxError`, `EOFError`, `struct.error`, `DecompressionBombError`,
    which is not an `OSError`, and others).

    Args:
        source: a file path, or a binary file object.
        max_pixels: the most pixels (width x height) accepted; `None` uses
            `MAX_IMAGE_PIXELS`.
        name: how messages call the file; defaults to the path.

    Yields:
        The opened, not yet decoded, `PIL.Image.Image`.

    Raises:
        ImageReadError: the file cannot be opened or decoded, or is too
            large.
    """
    limit, setting = _check_limit(max_pixels)
    if name is None:
        name = "<file object>" if hasattr(source, "read") else os.fspath(source)
    try:
        with Image.open(source) as image:
            width, height = image.size
            if width * height > limit:
                raise ImageReadError(
                    name, _too_many_pixels(width * height, limit, setting, image.size)
                )
            yield image
    except ImageReadError:
        raise
    except Exception as error:  # any decoder failure is this one file's failure
        raise ImageReadError(name, _reason(error, source, limit, setting)) from error


def on_white(image: Image.Image) -> Image.Image:
    """Composites an image with transparency onto white; returns RGB.

    Product cut-outs are shown on white, and the colour stored under fully
    transparent pixels is arbitrary (often black), so it must not reach the
    segmenter.

    Args:
        image: a PIL image with an alpha channel or a transparent colour.

    Returns:
        The RGB image as it looks on a white page.
    """
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _to_8_bit(image):
    """16-bit, 32-bit integer and float greyscale as 8-bit `L`, scaled, not clipped."""
    if image.mode in _SIXTEEN_BIT_MODES:  # "I" from a 16-bit file: taken as 16-bit
        values = np.clip(np.asarray(image, dtype=np.int64), 0, 65535)
        return Image.fromarray(((values * 255 + 32767) // 65535).astype(np.uint8))
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("floating-point pixels are NaN or infinite")
        low, high = values.min(), values.max()
        if low < 0.0 or high > 1.0:
            raise ValueError(
                "floating-point pixels must lie in [0, 1]; "
                f"this image's lie in [{low:.4g}, {high:.4g}]"
            )
        return Image.fromarray(np.round(values * 255.0).astype(np.uint8))
    return image


def _convert(image, mode):
    image = _to_8_bit(image)
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    if has_alpha and mode not in _ALPHA_MODES:
        image = on_white(image)
    return image if image.mode == mode else image.convert(mode)


def read_image(
    path: PathLike | BinaryIO,
    mode: str = "RGB",
    *,
    max_pixels: int | None = None,
    exif: bool = True,
    name: str | None = None,
) -> np.ndarray:
    """Reads an image file completely and returns a uint8 array.

    The whole file is decoded, so a truncated or corrupt file fails here
    rather than later in a training loop. What it accepts:

    - Images over `max_pixels` are refused from their header, before
      decoding (decompression bombs).
    - The EXIF orientation is applied (`exif=True`), so a phone photo
      stored sideways comes out upright.
    - Animated images (GIF, APNG, WebP) give their first frame.
    - 16-bit and 32-bit integer greyscale is scaled to 8 bits
      (65535 -> 255), not clipped; float greyscale must lie in [0, 1].
    - CMYK, palette and bilevel images are converted to `mode`.
    - Transparency (an alpha channel, or a palette's transparent colour)
      is composited onto white, unless `mode` keeps alpha (`"RGBA"`).

    Args:
        path: the file to read (or a binary file object).
        mode: PIL mode to return (`"RGB"` gives `(H, W, 3)`, `"L"` gives
            `(H, W)`).
        max_pixels: the most pixels accepted; `None` uses
            `MAX_IMAGE_PIXELS`.
        exif: whether to turn the image as its EXIF orientation says.
            Pass `False` where pixels must line up with something stored
            alongside them (masks, boxes).
        name: how error messages call the file; defaults to the path.

    Returns:
        uint8 array.

    Raises:
        ImageReadError: the file cannot be read as an image; the message
            names the file and the reason.
    """
    with open_image(path, max_pixels, name) as image:
        image.load()  # the first frame of an animated image
        if exif:
            ImageOps.exif_transpose(image, in_place=True)
        return np.asarray(_convert(image, mode))
