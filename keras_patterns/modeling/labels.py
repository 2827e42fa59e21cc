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
