"""The label space every stage shares: DeepFashion In-shop class tables.

Segmentation predicts these ids, patch extraction and the grouper name
garments with them, and the data readers decode masks into them, so the
tables live below all of those, with nothing but NumPy beneath them. The
ids follow the row order of the official In-shop colour table; several
official names are wrong, and the names here are the corrected ones (see
the data page of the documentation for the cross-checks).
"""

import numpy as np

INSHOP_CLASSES = (
    "background",
    "top",
    "skirt",
    "leggings",
    "face",
    "dress",
    "bag",
    "neckwear",
    "outer",
    "hair",
    "headwear",
    "eyeglass",
    "belt",
    "pants",
    "skin",
    "footwear",
)
"""The 16 corrected In-shop class names; the index is the class id."""

INSHOP_COLORS = np.array(
    [
        (0, 0, 0),
        (255, 250, 250),
        (250, 235, 215),
        (70, 130, 180),
        (16, 78, 139),
        (255, 250, 205),
        (255, 140, 0),
        (50, 205, 50),
        (220, 220, 220),
        (255, 0, 0),
        (127, 255, 212),
        (0, 100, 0),
        (255, 255, 0),
        (211, 211, 211),
        (144, 238, 144),
        (245, 222, 179),
    ],
    dtype=np.uint8,
)
"""(16, 3) uint8 mask colours; row ``i`` is the colour of class id ``i``."""
INSHOP_COLORS.setflags(write=False)

CLOTHING_CLASSES = ("top", "dress", "outer", "pants", "footwear")
"""The garment classes whose patterns the package groups."""

GARMENT_CLASSES = ("top", "dress", "outer", "pants")
"""The garments of `NINE_CLASSES` a product's patch may come from."""

NINE_CLASSES = (
    "background",
    "top",
    "face",
    "dress",
    "outer",
    "hair",
    "pants",
    "skin",
    "footwear",
)
"""The 9-class set used for training segmentation (ids in this order)."""

IGNORE_LABEL = 255
"""Label of pixels that losses and metrics skip (discarded or unknown)."""

PHOTO_CLASSES = (
    "background",
    "skin",
    "hair",
    "top",
    "outer",
    "dress",
    "skirt",
    "pants",
    "footwear",
)
"""The classes of the product-photo segmenter: every garment a product photo
sells has its own class (skirts included), and face and skin are one."""

PHOTO_MERGES = {"face": "skin", "leggings": "pants"}
"""In-shop classes that `PHOTO_CLASSES` folds into another."""

PHOTO_GARMENTS = ("top", "outer", "dress", "skirt", "pants")
"""The garments of `PHOTO_CLASSES` a product photo's patch may come from."""

GARMENT_ALIASES = {
    "tank": "top",
    "tank_top": "top",
    "tee": "top",
    "tshirt": "top",
    "t-shirt": "top",
    "shirt": "top",
    "blouse": "top",
    "sweater": "top",
    "longsleeve": "top",
    "jacket": "outer",
    "jacket_open": "outer",
    "jacket_closed": "outer",
    "coat": "outer",
    "cardigan": "outer",
    "blazer": "outer",
    "trousers": "pants",
    "jeans": "pants",
    "shorts": "pants",
    "leggings": "pants",
    "gown": "dress",
}
"""Everyday garment names and the class each is, for naming a product's
garment (`garments=`); a class name names itself."""


def garment_class(name: str, label_names: tuple[str, ...]) -> str:
    """The class of `label_names` that a garment's name names.

    A class name is itself; an everyday name (`"trousers"`, `"tank"`,
    `"jacket"`) is its class in `GARMENT_ALIASES`, case and spaces aside.
    A name neither knows is returned as it is, for the caller's check to
    report.

    Args:
        name: a garment's name, as a catalogue gives it.
        label_names: the segmenter's class names.

    Returns:
        A name of `label_names` (or `name` itself).

    Example:

    >>> garment_class("Trousers", PHOTO_CLASSES), garment_class("skirt", PHOTO_CLASSES)
    ('pants', 'skirt')
    """
    if name in label_names:
        return name
    key = name.strip().lower().replace(" ", "_")
    if key in label_names:
        return key
    return GARMENT_ALIASES.get(key, name)
