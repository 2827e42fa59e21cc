"""The largest axis-aligned rectangle inside a binary region, in O(H W).

The classic method: for every row, the heights of the column runs of the
region ending there form a histogram, and the largest rectangle of the
region is the largest rectangle under one of these histograms. For each bar
it spans from its nearest lower bar on the left to the one on the right.

Instead of a Python stack per row, the nearest lower bars of all rows are
found at once by pointer jumping: every bar starts pointing at its left
neighbour and follows its neighbour's pointer while that neighbour is not
lower. Everything between a bar and its pointer stays at least as high as
the bar, so the final pointer is the nearest lower bar; the work is a few
whole-array NumPy passes.

Written here because no dependency does it: scikit-image, SciPy and OpenCV
give distance transforms, contours and bounding boxes, from which an
inscribed square or an approximate box follows, not the exact largest
rectangle a patch must be.
"""

import numpy as np

from keras_patterns.utils.typing import ArrayLike


def run_heights(mask: ArrayLike) -> np.ndarray:
    """Height of the vertical run of `True` ending at each pixel, `(H, W)` int.

    Args:
        mask: boolean array `(H, W)`.

    Returns:
        An int array `(H, W)`: 0 where `mask` is `False`, else the number
        of consecutive `True` pixels above and including the pixel.
    """
    mask = np.asarray(mask, bool)
    counts = np.cumsum(mask, axis=0, dtype=np.int32)
    resets = np.maximum.accumulate(np.where(mask, 0, counts), axis=0)
    return counts - resets


def nearest_lower_left(heights: np.ndarray) -> np.ndarray:
    """Index of the nearest column to the left with a lower height, or -1.

    Args:
        heights: int array `(H, W)`, each row a histogram (as from
            `run_heights`).

    Returns:
        An int array `(H, W)`: for each bar, the column of the nearest
        strictly lower bar on its left in the same row, -1 if there is none.
    """
    rows, width = heights.shape
    row_index = np.arange(rows)[:, None]
    left = np.broadcast_to(np.arange(width) - 1, (rows, width)).copy()
    while True:
        target = np.maximum(left, 0)
        moving = (left >= 0) & (heights[row_index, target] >= heights)
        if not moving.any():
            return left
        left = np.where(moving, left[row_index, target], left)


def largest_rectangle(mask: ArrayLike) -> tuple[int, int, int, int] | None:
    """The largest axis-aligned rectangle of `True` pixels in a 2-D mask.

    Exact: the returned area equals that of an exhaustive search. Ties are
    broken deterministically (the first maximum in row-major order of the
    cell where the rectangle's lowest bar stands).

    Args:
        mask: boolean array `(H, W)`.

    Returns:
        `(top, left, bottom, right)` with `bottom` and `right` exclusive, so
        `mask[top:bottom, left:right]` is all `True`; `None` if the mask is
        empty.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.patches import largest_rectangle
    >>> mask = np.array([[0, 1, 1, 0],
    ...                  [1, 1, 1, 0],
    ...                  [1, 1, 1, 1]], bool)
    >>> largest_rectangle(mask)
    (1, 0, 3, 3)
    """
    mask = np.asarray(mask, bool)
    if mask.ndim != 2:
        raise ValueError(f'"mask" must be 2-D. Received shape {mask.shape}')
    if not mask.any():
        return None
    heights = run_heights(mask)
    left = nearest_lower_left(heights)
    right = mask.shape[1] - 1 - nearest_lower_left(heights[:, ::-1])[:, ::-1]
    areas = heights * (right - left - 1)
    row, col = np.unravel_index(np.argmax(areas), areas.shape)
    height = heights[row, col]
    return (
        int(row - height + 1),
        int(left[row, col] + 1),
        int(row + 1),
        int(right[row, col]),
    )


def largest_square(mask: ArrayLike) -> tuple[int, int, int, int] | None:
    """The largest axis-aligned square of `True` pixels in a 2-D mask.

    A square of side `k` fits exactly where a `k x k` window of the integral
    image sums to `k * k`, and if one of side `k` fits so does one of side
    `k - 1`: a binary search on `k` with one whole-array test per step,
    O(H W log min(H, W)). Of the largest squares, the one nearest the centre
    of the mask's bounding box is returned (ties: first in row-major order).
    Embedders take square inputs, so this is the most pattern a garment can
    give them: never less than the centre square of `largest_rectangle`.

    Args:
        mask: boolean array `(H, W)`.

    Returns:
        `(top, left, bottom, right)` with `bottom` and `right` exclusive;
        `None` if the mask is empty.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.patches import largest_square
    >>> mask = np.array([[1, 1, 1, 1, 1],
    ...                  [1, 1, 1, 1, 1],
    ...                  [0, 0, 1, 1, 0]], bool)
    >>> largest_square(mask)
    (0, 1, 2, 3)
    """
    mask = np.asarray(mask, bool)
    if mask.ndim != 2:
        raise ValueError(f'"mask" must be 2-D. Received shape {mask.shape}')
    if not mask.any():
        return None
    integral = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), np.int64)
    integral[1:, 1:] = mask.cumsum(0).cumsum(1)

    def corners(side):
        sums = (
            integral[side:, side:]
            - integral[:-side, side:]
            - integral[side:, :-side]
            + integral[:-side, :-side]
        )
        return np.argwhere(sums == side * side)

    low, high, side, found = 2, min(mask.shape), 1, corners(1)
    while low <= high:
        middle = (low + high) // 2
        hits = corners(middle)
        if len(hits):
            side, found, low = middle, hits, middle + 1
        else:
            high = middle - 1
    rows, cols = np.nonzero(mask)
    centre = np.array([rows.min() + rows.max() + 1, cols.min() + cols.max() + 1]) / 2
    offsets = np.abs(found + side / 2 - centre).sum(1)
    top, left = (int(v) for v in found[np.argmin(offsets)])
    return top, left, top + side, left + side
