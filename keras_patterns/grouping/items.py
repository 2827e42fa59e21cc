"""One grouped input (`GroupedItem`) and the pictures shown of it.

A result's contact sheets and its HTML report both show each member as its
patch beside a thumbnail of its photo with the patch outlined:
`member_tiles` gives them, from what the grouper kept or from the source.
"""

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from PIL import ImageDraw

from keras_patterns.grouping.inputs import load_input
from keras_patterns.utils.images import centre_square
from keras_patterns.utils.typing import ArrayLike


@dataclasses.dataclass
class GroupedItem:
    """One input of `PatternGrouper.group`.

    Attributes:
        index: position in the input.
        source: the file path, or `"#<index>"` for arrays.
        group: the group id, or -1 if the input failed.
        box: `(top, left, bottom, right)` of the patch in the photo (the
            whole image for patch inputs), or `None`.
        boxes: the boxes of every patch cut, largest first (`box` is the
            first).
        class_name: the garment the patch was cut from (`None` for patches).
        enhanced: whether the patch went through super-resolution.
        embedding: the patch's embedding, or `None`.
        patches: every patch embedded for the input, uint8, largest first
            (its embedding is their mean); kept only with the grouper's
            `keep_patches`, else empty.
        patch: (property) the first, largest patch, or `None`.
        thumbnail: a small copy of the input with the box drawn (only with
            `keep_patches`).
        error: why the input failed, or `None`.
        input: the input array for array inputs (a reference, not a copy),
            so that sheets can show it; `None` for files, which are re-read
            from `source`.
    """

    index: int
    source: str
    group: int = -1
    box: tuple[int, int, int, int] | None = None
    boxes: list[tuple[int, int, int, int]] = dataclasses.field(default_factory=list)
    class_name: str | None = None
    enhanced: bool = False
    embedding: np.ndarray | None = None
    patches: list[np.ndarray] = dataclasses.field(default_factory=list)
    thumbnail: np.ndarray | None = None
    error: str | None = None
    input: ArrayLike | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def patch(self) -> np.ndarray | None:
        """The first, largest patch, or `None`."""
        return self.patches[0] if self.patches else None

    @property
    def ok(self) -> bool:
        """Whether the input did not fail (`error` is `None`)."""
        return self.error is None


def thumbnail(
    image: np.ndarray, box: Sequence[float] | None = None, height: int = 128
) -> np.ndarray:
    """A small copy of `image` (uint8) with `box` drawn in red.

    Args:
        image: uint8 `(H, W, 3)` image.
        box: `(top, left, bottom, right)` in `image`'s pixels, or `None`.
        height: height of the copy; the width keeps the aspect ratio.

    Returns:
        The uint8 copy, `height` pixels high.
    """
    pil = Image.fromarray(image)
    scale = height / pil.height
    pil = pil.resize((max(1, round(pil.width * scale)), height), Image.BILINEAR)
    if box is not None:
        top, left, bottom, right = (round(v * scale) for v in box)
        ImageDraw.Draw(pil).rectangle(
            (left, top, right - 1, bottom - 1), outline=(220, 30, 30), width=2
        )
    return np.asarray(pil)


def member_tiles(item: GroupedItem) -> list[np.ndarray]:
    """An item's patch and thumbnail: kept ones, or cut again from its source.

    Args:
        item: a grouped input.

    Returns:
        `[patch, thumbnail]`, uint8 images; white squares when the source
        can no longer be read.
    """
    patch, photo = item.patch, item.thumbnail
    if patch is not None and photo is not None:
        return [patch, photo]
    try:
        image = load_input(Path(item.source) if item.input is None else item.input)
    except ValueError:  # the file changed since it was grouped
        blank = np.full((96, 96, 3), 255, np.uint8)
        return [blank, blank]
    top, left, bottom, right = item.box
    whole = item.box == (0, 0, *image.shape[:2])
    if patch is None:
        patch = centre_square(image[top:bottom, left:right])
    if photo is None:
        photo = thumbnail(image, None if whole else item.box)
    return [patch, photo]
