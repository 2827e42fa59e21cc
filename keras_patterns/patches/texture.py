"""How much pattern a patch holds: the garment that carries the pattern.

A product photo shows the patterned product among plain styling garments;
the largest garment region is often a plain one (trousers under a patterned
top, a plain top under an open patterned jacket). `texture_score` measures
the pattern in a patch as its edge energy at the scale of a few pixels,
after a light blur that takes out sensor noise and JPEG artefacts; the
shading and folds of a plain fabric vary over tens of pixels and score low.
"""

import numpy as np
from scipy import ndimage

from keras_patterns.utils.images import to_float
from keras_patterns.utils.typing import ArrayLike


def texture_score(patch: ArrayLike, blur: float = 1.0) -> float:
    """The mean edge strength of a patch, summed over its colour channels.

    Each channel is blurred by a Gaussian of `blur` pixels and its gradient
    magnitude (Sobel, per pixel step) is averaged over the patch; the score
    is the sum over channels, so a pattern of two colours of one brightness
    scores too. Plain fabric with folds scores near 0 (a grey changing by
    0.2 over 20 pixels: 0.03 over three channels); a printed pattern of
    strong edges every few pixels scores tenths.

    Args:
        patch: `(H, W, 3)` uint8 or float in [0, 1], at least 4 pixels a side.
        blur: the Gaussian's standard deviation, in pixels.

    Returns:
        The score, a float >= 0 (in [0, 1] units per pixel step).

    Example:

    >>> import numpy as np
    >>> stripes = np.zeros((32, 32, 3), np.uint8)
    >>> stripes[:, ::4] = 255
    >>> plain = np.tile(np.linspace(80, 130, 32, dtype=np.uint8)[None, :, None],
    ...                 (32, 1, 3))  # a fold's shading
    >>> round(texture_score(stripes), 2), round(texture_score(plain), 2)
    (0.25, 0.02)
    """
    image = to_float(patch, "patch", batched=False, channels=(3,))
    if min(image.shape[:2]) < 4:
        raise ValueError(
            f'"patch" must be at least 4 pixels a side. Received: {image.shape}'
        )
    score = 0.0
    for channel in np.moveaxis(image, -1, 0):
        smooth = ndimage.gaussian_filter(channel.astype(np.float64), blur)
        rows = ndimage.sobel(smooth, axis=0) / 8.0  # Sobel's weights sum to 8
        cols = ndimage.sobel(smooth, axis=1) / 8.0
        score += float(np.hypot(rows, cols)[1:-1, 1:-1].mean())
    return score
