"""How much pattern a patch holds: the garment that carries the pattern.

A product photo shows the patterned product among plain styling garments;
the largest garment region is often a plain one (trousers under a patterned
top, a plain top under an open patterned jacket). `texture_score` measures
the pattern in a patch as its edge energy at the scale of a few pixels,
after a light blur that takes out sensor noise and JPEG artefacts; the
shading and folds of a plain fabric vary over tens of pixels and score low.
`textured_region` does the same per pixel: the part of the garments that
carries a pattern, whichever garment class a segmenter gave it.
"""

import numpy as np
from scipy import ndimage

from keras_patterns.utils.images import to_float
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_positive


def edge_map(image: ArrayLike, blur: float = 1.0) -> np.ndarray:
    """Each pixel's edge strength, summed over the colour channels.

    Each channel is blurred by a Gaussian of `blur` pixels and its gradient
    magnitude taken (Sobel, per pixel step); the channels' magnitudes are
    summed, so a pattern of two colours of one brightness has edges too.

    Args:
        image: `(H, W, 3)` uint8 or float in [0, 1].
        blur: the Gaussian's standard deviation, in pixels.

    Returns:
        `(H, W)` float64, >= 0 (in [0, 1] units per pixel step).

    Example: a vertical edge from black to white has strength on the two
    columns beside it, summed over three channels, and none elsewhere:

    >>> import numpy as np
    >>> image = np.zeros((6, 8, 3), np.uint8)
    >>> image[:, 4:] = 255
    >>> strength = edge_map(image, blur=0.1)
    >>> strength[3].round(2).tolist()
    [0.0, 0.0, 0.0, 1.5, 1.5, 0.0, 0.0, 0.0]
    """
    image = to_float(image, "image", batched=False, channels=(3,))
    strength = np.zeros(image.shape[:2])
    for channel in np.moveaxis(image, -1, 0):
        smooth = ndimage.gaussian_filter(channel.astype(np.float64), blur)
        rows = ndimage.sobel(smooth, axis=0) / 8.0  # Sobel's weights sum to 8
        cols = ndimage.sobel(smooth, axis=1) / 8.0
        strength += np.hypot(rows, cols)
    return strength


def texture_score(patch: ArrayLike, blur: float = 1.0) -> float:
    """The mean edge strength of a patch, summed over its colour channels.

    The mean of `edge_map` away from the patch's one-pixel frame. Plain
    fabric with folds scores near 0 (a grey changing by 0.2 over 20 pixels:
    0.03 over three channels); a printed pattern of strong edges every few
    pixels scores tenths.

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
    return float(edge_map(image, blur)[1:-1, 1:-1].mean())


def otsu_threshold(values: ArrayLike, bins: int = 64) -> float:
    """The threshold that splits `values` into two classes of least
    within-class variance (Otsu's method, on a `bins`-bin histogram).

    Ten lines of numpy rather than a dependency (scikit-image's
    `threshold_otsu` computes the same on 256 bins).

    Args:
        values: a non-empty array of numbers (flattened).
        bins: histogram bins.

    Returns:
        A bin edge: the values above it form the upper class.

    Example:

    >>> otsu_threshold([1.0, 1.1, 0.9, 5.0, 5.2, 4.9], bins=8)
    1.4375
    """
    values = np.asarray(values, np.float64).ravel()
    if not values.size:
        raise ValueError('"values" must not be empty. Received: an empty array')
    counts, edges = np.histogram(values, bins)
    centres = (edges[:-1] + edges[1:]) / 2
    # Splitting after bin k: the counts, and the means, below and above.
    below = np.cumsum(counts)
    above = below[-1] - below
    mass = np.cumsum(counts * centres)
    mean_below = mass / np.maximum(below, 1)
    mean_above = (mass[-1] - mass) / np.maximum(above, 1)
    between = below * above * (mean_below - mean_above) ** 2
    return float(edges[np.argmax(between) + 1])


def textured_region(
    image: ArrayLike,
    mask: ArrayLike,
    window: float = 2.0,
    erosion: int = 3,
    blur: float = 0.7,
) -> np.ndarray:
    """The pixels of `mask` that carry a pattern, away from their edges.

    Each pixel's `edge_map` (after a blur of `blur` pixels) is averaged over
    a Gaussian window of `window` pixels; inside `mask`, the pixels whose
    log energy lies above Otsu's threshold (`otsu_threshold`) are the
    textured ones. Gaps of up to 4 pixels are closed (a flat spot of a
    floral), bands under 6 pixels opened away (a plain garment's outline or
    fold), and the result eroded by `erosion` pixels, so a square inside it
    stays off the edge band a plain neighbour's outline leaves.

    In a product photo the garments (any class) are the mask, and the
    textured part is the patterned product, whole, even where a segmenter
    split it between classes.

    Args:
        image: `(H, W, 3)` uint8 or float in [0, 1].
        mask: `(H, W)` boolean, where to look (the garments).
        window: the averaging window's standard deviation, in pixels.
        erosion: pixels taken off the textured part's edges.
        blur: the blur before the gradients, in pixels.

    Returns:
        `(H, W)` boolean, inside `mask`; all False when `mask` is empty.

    Example:

    >>> import numpy as np
    >>> image = np.full((40, 60, 3), 128, np.uint8)
    >>> image[:, :30:3] = 255  # stripes on the left half
    >>> region = textured_region(image, np.ones((40, 60), bool), erosion=0)
    >>> bool(region[5:35, 5:25].all()), bool(region[:, 36:].any())
    (True, False)
    """
    image = to_float(image, "image", batched=False, channels=(3,))
    window = check_positive(window, "window")
    blur = check_positive(blur, "blur")
    erosion = check_int(erosion, "erosion", minimum=0)
    mask = np.asarray(mask, bool)
    if mask.shape != image.shape[:2]:
        raise ValueError(
            f'"mask" must have the image\'s height and width {image.shape[:2]}. '
            f"Received: {mask.shape}"
        )
    if not mask.any():
        return mask.copy()
    energy = np.log(ndimage.gaussian_filter(edge_map(image, blur), window) + 1e-4)
    region = mask & (energy > otsu_threshold(energy[mask]))
    region = ndimage.binary_closing(region, iterations=2)
    region = ndimage.binary_opening(region, iterations=3)
    if erosion:
        region = ndimage.binary_erosion(region, iterations=erosion)
    return region & mask
