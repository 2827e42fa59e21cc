"""A contact sheet of In-shop images beside their colour-coded masks."""

from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from keras_patterns.datasets.inshop import InshopRecord
from keras_patterns.datasets.inshop import load_inshop
from keras_patterns.datasets.inshop import read_mask
from keras_patterns.datasets.inshop_classes import labels_to_rgb
from keras_patterns.utils.image_reader import read_image
from keras_patterns.utils.visualization import contact_sheet


def preview_sheet(
    data: str | Path | Iterable[InshopRecord | Mapping[str, Any]],
    n: int = 16,
    columns: int = 8,
    thumb_height: int = 160,
) -> Image.Image:
    """Shows images with masks next to their masks painted in table colours.

    Args:
        data: a folder in either In-shop layout, or a list of records.
        n: how many masked images to show (the first `n` in file order).
        columns: thumbnails per row (an image and its mask take two).
        thumb_height: thumbnail height in pixels.

    Returns:
        A `PIL.Image.Image`.

    Example:

    >>> import tempfile
    >>> import keras_patterns as kp
    >>> from keras_patterns.datasets.preview import preview_sheet
    >>> root = tempfile.mkdtemp()
    >>> _ = kp.datasets.write_synthetic_inshop(root, n_items=1, views_per_item=2)
    >>> preview_sheet(root, n=2, columns=4, thumb_height=64).height
    84
    """
    records = load_inshop(data) if isinstance(data, (str, Path)) else data
    records = [r for r in records if r["mask_path"] is not None][:n]
    if not records:
        raise ValueError(f'"data" holds no image with a mask. Received: {data!r}')
    tiles, captions = [], []
    for record in records:
        image = read_image(record["image_path"], exif=False)  # as the mask lies
        labels = read_mask(record["mask_path"], unknown="ignore")
        tiles += [image, labels_to_rgb(labels)]
        name = Path(record["image_path"]).stem
        captions += [name[:24], f"{record['item_id']} {record['view'] or ''}"[:24]]
    return contact_sheet(
        tiles,
        captions,
        columns=max(2, columns - columns % 2),
        thumb_height=thumb_height,
    )
