"""DeepFashion In-shop masks: colours to class ids and back, class reductions.

The segmentation masks of DeepFashion In-shop are painted in 16 colours.
The tables themselves (`INSHOP_CLASSES`, `INSHOP_COLORS`, `NINE_CLASSES`,
`CLOTHING_CLASSES`, `IGNORE_LABEL`) live in `keras_patterns.modeling.labels`,
below the stages that predict and cut by them; `keras_patterns.datasets`
re-exports them.
"""

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np

from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import INSHOP_COLORS
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_names

DISCARDED_MODES = ("ignore", "background")
UNKNOWN_MODES = ("error", "ignore")

_color_lut = None


class UnknownMaskColorError(ValueError):
    """A mask holds a colour (or grey level) outside the In-shop table.

    Attributes:
        colors: the offending colours, most frequent first, as tuples.
        counts: how many pixels carry each of them.
        source: the file the mask came from, when known.

    Args:
        colors: the offending colours (or grey levels).
        counts: the pixel count of each colour.
        source: the file the mask came from, or `None`.
    """

    def __init__(
        self,
        colors: Iterable[ArrayLike],
        counts: Iterable[int | np.integer],
        source: str | None = None,
    ) -> None:
        self.colors = [tuple(int(v) for v in np.atleast_1d(c)) for c in colors]
        self.counts = [int(n) for n in counts]
        self.source = source
        where = f" in {source!r}" if source is not None else ""
        shown = ", ".join(
            f"{c if len(c) > 1 else c[0]} ({n} px)"
            for c, n in zip(self.colors[:5], self.counts[:5], strict=False)
        )
        more = f" and {len(self.colors) - 5} more" if len(self.colors) > 5 else ""
        super().__init__(
            f"Mask{where} contains values outside the DeepFashion In-shop "
            f"colour table: {shown}{more}. Expected one of the 16 colours of "
            "`INSHOP_COLORS`; pass unknown='ignore' to label such pixels "
            f"IGNORE_LABEL={IGNORE_LABEL} instead."
        )


def _lookup_table():
    """A table from packed 24-bit colour codes to class ids (255 = unknown)."""
    global _color_lut
    if _color_lut is None:
        lut = np.full(1 << 24, IGNORE_LABEL, dtype=np.uint8)
        lut[_pack_rgb(INSHOP_COLORS)] = np.arange(len(INSHOP_CLASSES))
        lut.setflags(write=False)
        _color_lut = lut
    return _color_lut


def _pack_rgb(pixels):
    """Packs RGB(A) pixels into little-endian 24-bit codes `r | g << 8 | b << 16`.

    Contiguous RGBA input (what Pillow decodes to) is reinterpreted as uint32
    in place of three shifted copies, which is much faster on large masks.
    """
    if pixels.shape[-1] == 4 and pixels.flags.c_contiguous:
        return pixels.view("<u4")[..., 0] & 0xFFFFFF
    rgb = pixels[..., :3].astype(np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def _raise_unknown(values, bad, source):
    found, counts = np.unique(values[bad], axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    raise UnknownMaskColorError(found[order], counts[order], source)


def rgb_mask_to_labels(
    mask: ArrayLike, unknown: str = "error", source: str | None = None
) -> np.ndarray:
    """Converts an In-shop colour mask to class ids.

    The conversion is one table look-up per pixel, so it stays cheap even
    for a full 750x1101 mask. An alpha channel is ignored.

    Args:
        mask: uint8 array of shape `(H, W, 3)` (RGB) or `(H, W, 4)` (RGBA).
        unknown: what to do with a colour that is not in `INSHOP_COLORS`:
            `"error"` (default) raises `UnknownMaskColorError`, a
            `ValueError` naming the colours (and `source`); `"ignore"`
            labels those pixels `IGNORE_LABEL` (255).
        source: optional file name, quoted in error messages.

    Returns:
        uint8 array of shape `(H, W)` holding ids in `[0, 15]`
        (and 255 for unknown colours when `unknown="ignore"`).

    Example:

    >>> import numpy as np
    >>> from keras_patterns.datasets import INSHOP_COLORS, rgb_mask_to_labels
    >>> mask = np.broadcast_to(INSHOP_COLORS[13], (2, 3, 3))
    >>> rgb_mask_to_labels(mask)
    array([[13, 13, 13],
           [13, 13, 13]], dtype=uint8)
    """
    check_choice(unknown, UNKNOWN_MODES, "unknown")
    mask = np.asarray(mask)
    if mask.ndim != 3 or mask.shape[-1] not in (3, 4):
        raise ValueError(
            '"mask" must be an RGB or RGBA image of shape (H, W, 3) or (H, W, 4). '
            f"Received: mask with shape {mask.shape}"
        )
    if mask.dtype != np.uint8:
        raise ValueError(
            f'"mask" must have dtype uint8. Received: mask with dtype {mask.dtype}'
        )
    labels = np.take(_lookup_table(), _pack_rgb(mask))
    if unknown == "error":
        bad = labels == IGNORE_LABEL
        if bad.any():
            _raise_unknown(mask[..., :3], bad, source)
    return labels


def check_label_ids(
    labels: ArrayLike, unknown: str = "error", source: str | None = None
) -> np.ndarray:
    """Validates a greyscale id mask (the flat layout) against the 16 ids.

    `IGNORE_LABEL` (255) is accepted: it marks pixels that were unknown
    when the mask was converted.

    Args:
        labels: integer array of shape `(H, W)`.
        unknown: `"error"` raises `UnknownMaskColorError` for other values
            above 15; `"ignore"` maps them to `IGNORE_LABEL`.
        source: optional file name, quoted in error messages.

    Returns:
        uint8 array of shape `(H, W)`.
    """
    check_choice(unknown, UNKNOWN_MODES, "unknown")
    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            '"labels" must be an integer array of shape (H, W). '
            f"Received: labels with shape {labels.shape} and dtype {labels.dtype}"
        )
    bad = ((labels < 0) | (labels >= len(INSHOP_CLASSES))) & (labels != IGNORE_LABEL)
    if bad.any():
        if unknown == "error":
            _raise_unknown(labels, bad, source)
        labels = np.where(bad, IGNORE_LABEL, labels)
    return labels.astype(np.uint8)


def _class_ids(classes):
    return check_names(classes, INSHOP_CLASSES, "classes", "INSHOP_CLASSES", True)


def labels_to_rgb(
    labels: ArrayLike,
    classes: Sequence[str] = INSHOP_CLASSES,
    ignore_color: Sequence[int] = (255, 0, 255),
) -> np.ndarray:
    """Paints class ids with the In-shop colours, for display.

    Args:
        labels: integer array `(H, W)` (or any shape) of ids into `classes`.
        classes: the class names the ids refer to. Defaults to the 16
            In-shop classes; pass `NINE_CLASSES` for reduced label maps.
        ignore_color: RGB colour painted where the label is `IGNORE_LABEL`.
            The default, magenta, is not in the table.

    Returns:
        uint8 array of shape `labels.shape + (3,)`.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.datasets import labels_to_rgb
    >>> labels_to_rgb(np.array([[0, 9]]))
    array([[[  0,   0,   0],
            [255,   0,   0]]], dtype=uint8)
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f'"labels" must hold integer class ids. Received: dtype {labels.dtype}'
        )
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[: len(classes)] = INSHOP_COLORS[_class_ids(classes)]
    palette[IGNORE_LABEL] = ignore_color
    bad = ((labels < 0) | (labels >= len(classes))) & (labels != IGNORE_LABEL)
    if bad.any():
        raise ValueError(
            f'"labels" must hold ids in [0, {len(classes) - 1}] or '
            f"IGNORE_LABEL={IGNORE_LABEL}. Received values "
            f"{np.unique(labels[bad])[:10].tolist()}"
        )
    return palette[labels.astype(np.intp)]


def class_lookup_table(
    classes: Sequence[str] = NINE_CLASSES,
    discarded: str = "ignore",
    merges: Mapping[str, str] | None = None,
) -> np.ndarray:
    """A 256-entry table from In-shop ids to ids in a reduced class set.

    Args:
        classes: the class names to keep, in their new id order.
        discarded: `"ignore"` (default) labels the other classes
            `IGNORE_LABEL` so losses and metrics skip them (a skirt is not
            background); `"background"` folds them into `"background"`,
            which must then be in `classes`.
        merges: In-shop classes folded into a kept one, such as
            `{"face": "skin"}` (`PHOTO_MERGES`).

    Returns:
        uint8 array of shape `(256,)`; entry `IGNORE_LABEL` stays
        `IGNORE_LABEL`.
    """
    check_choice(discarded, DISCARDED_MODES, "discarded")
    ids = _class_ids(classes)
    if discarded == "background" and "background" not in classes:
        raise ValueError(
            'discarded="background" needs "background" in "classes". '
            f"Received: classes={tuple(classes)!r}"
        )
    fill = classes.index("background") if discarded == "background" else IGNORE_LABEL
    table = np.full(256, IGNORE_LABEL, dtype=np.uint8)
    table[: len(INSHOP_CLASSES)] = fill
    table[ids] = np.arange(len(ids))
    for source, target in (merges or {}).items():
        table[_class_ids([source])] = check_names(target, classes, "merges", "classes")
    return table


def remap_classes(
    labels: ArrayLike,
    classes: Sequence[str] = NINE_CLASSES,
    discarded: str = "ignore",
    merges: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Reduces 16-class In-shop ids to a subset, by default the 9-class set.

    Args:
        labels: integer array of In-shop ids (and possibly `IGNORE_LABEL`).
        classes: the class names to keep, in their new id order.
        discarded: `"ignore"` (default) or `"background"`; see
            `class_lookup_table`.
        merges: In-shop classes folded into a kept one (`{"face": "skin"}`).

    Returns:
        uint8 array of the same shape with ids into `classes`.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.datasets import remap_classes
    >>> remap_classes(np.array([0, 1, 2, 13]))  # background, top, skirt, pants
    array([  0,   1, 255,   6], dtype=uint8)
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f'"labels" must hold integer class ids. Received: dtype {labels.dtype}'
        )
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise ValueError(
            '"labels" must hold In-shop ids in [0, 15] or 255. '
            f"Received values in [{labels.min()}, {labels.max()}]"
        )
    return class_lookup_table(classes, discarded, merges)[labels.astype(np.intp)]
