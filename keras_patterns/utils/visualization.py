"""Contact sheets: grids of thumbnails with captions, for people to look at."""

from collections.abc import Sequence

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from keras_patterns.utils.images import to_uint8
from keras_patterns.utils.typing import ArrayLike


def _thumbnail(image, height):
    image = to_uint8(image, "images", batched=False)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    pil = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    width = max(1, round(pil.width * height / pil.height))
    return pil.resize((width, height), Image.BILINEAR)


def contact_sheet(
    images: Sequence[ArrayLike],
    captions: Sequence[str] | None = None,
    columns: int = 8,
    thumb_height: int = 128,
    pad: int = 4,
) -> Image.Image:
    """Lays images out on a white grid, each with an optional caption.

    Args:
        images: a sequence of images (uint8 or float in [0, 1], any sizes,
            channels last); each becomes a thumbnail `thumb_height` high.
        captions: optional sequence of strings, one per image.
        columns: thumbnails per row.
        thumb_height: thumbnail height in pixels.
        pad: space between thumbnails in pixels.

    Returns:
        A `PIL.Image.Image` (RGB).

    Example:

    >>> import numpy as np
    >>> from keras_patterns.utils.visualization import contact_sheet
    >>> sheet = contact_sheet([np.zeros((10, 20, 3), np.uint8)] * 3, columns=2,
    ...                       thumb_height=10, pad=1)
    >>> sheet.size
    (43, 23)
    """
    if len(images) == 0:
        raise ValueError('"images" must hold at least one image. Received: 0 images')
    if captions is not None and len(captions) != len(images):
        raise ValueError(
            f'"captions" must have one entry per image. Received {len(captions)} '
            f"captions for {len(images)} images"
        )
    if columns < 1 or thumb_height < 1 or pad < 0:
        raise ValueError(
            '"columns" and "thumb_height" must be positive and "pad" non-negative. '
            f"Received: columns={columns}, thumb_height={thumb_height}, pad={pad}"
        )
    thumbs = [_thumbnail(image, thumb_height) for image in images]
    font = ImageFont.load_default()
    caption_height = 12 if captions is not None else 0
    cell_w = max(t.width for t in thumbs)
    cell_h = thumb_height + caption_height
    rows = -(-len(thumbs) // columns)
    cols = min(columns, len(thumbs))
    sheet = Image.new(
        "RGB", (pad + cols * (cell_w + pad), pad + rows * (cell_h + pad)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for index, thumb in enumerate(thumbs):
        row, col = divmod(index, columns)
        x, y = pad + col * (cell_w + pad), pad + row * (cell_h + pad)
        sheet.paste(thumb, (x + (cell_w - thumb.width) // 2, y))
        if captions is not None:
            draw.text(
                (x, y + thumb_height), str(captions[index]), fill="black", font=font
            )
    return sheet
