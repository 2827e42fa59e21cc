"""Drawing primitives shared by the pattern families: colours, anti-aliased
shapes and smooth noise, all vectorised over coordinate arrays."""

import colorsys

import numpy as np

from keras_patterns.utils.typing import ArrayLike


def random_color(
    rng: np.random.Generator,
    value: tuple[float, float] = (0.2, 0.95),
    saturation: tuple[float, float] = (0.15, 0.9),
    hue: float | None = None,
) -> np.ndarray:
    """A random colour, drawn uniformly in HSV ranges.

    Args:
        rng: a `numpy.random.Generator`.
        value: range of the HSV value (brightness).
        saturation: range of the saturation.
        hue: the hue in turns (taken modulo 1), or `None` for a random one.

    Returns:
        float32 RGB array `(3,)` in [0, 1].
    """
    h = rng.random() if hue is None else hue % 1.0
    s = rng.uniform(*saturation)
    v = rng.uniform(*value)
    return np.array(colorsys.hsv_to_rgb(h, s, v), dtype=np.float32)


def luma(color: np.ndarray) -> float:
    """The perceived brightness of an RGB colour (ITU-R BT.601 weights).

    Args:
        color: float RGB array `(3,)` in [0, 1].

    Returns:
        The luma, in [0, 1].
    """
    return float(color @ np.array([0.299, 0.587, 0.114], dtype=np.float32))


def contrasting_colors(
    rng: np.random.Generator, n: int, min_contrast: float = 0.22
) -> list[np.ndarray]:
    """`n` random colours whose luma differs from the first by `min_contrast`.

    Args:
        rng: a `numpy.random.Generator`.
        n: number of colours.
        min_contrast: least luma difference of each colour from the first.

    Returns:
        A list of `n` float32 RGB arrays `(3,)`; the first is the ground.
    """
    colors = [random_color(rng)]
    while len(colors) < n:
        candidate = random_color(rng)
        if abs(luma(candidate) - luma(colors[0])) >= min_contrast:
            colors.append(candidate)
    return colors


def aa(distance: np.ndarray, pixel: float) -> np.ndarray:
    """Coverage in [0, 1] of a shape from its signed distance (inside > 0).

    Args:
        distance: signed distance to the shape's edge, in pattern units.
        pixel: the size of one image pixel in pattern units.

    Returns:
        The coverage, an array of the shape of `distance`.
    """
    return np.clip(distance / pixel + 0.5, 0.0, 1.0)


def bands(
    t: np.ndarray, period: float, width: float, pixel: float, phase: float = 0.0
) -> np.ndarray:
    """Anti-aliased stripes of `width` repeating every `period` along `t`.

    Args:
        t: the coordinate across the stripes, in pattern units.
        period: distance between stripe centres.
        width: stripe width.
        pixel: the size of one image pixel in pattern units.
        phase: shift of the stripes along `t`.

    Returns:
        The stripes' coverage in [0, 1], an array of the shape of `t`.
    """
    offset = np.abs(((t - phase) / period + 0.5) % 1.0 - 0.5) * period
    return aa(width / 2.0 - offset, pixel)


def mix(out: np.ndarray, color: ArrayLike, alpha: np.ndarray) -> np.ndarray:
    """Paints `color` over `out` (H, W, 3) with coverage `alpha` (H, W).

    Args:
        out: float32 image `(H, W, 3)`, painted in place.
        color: RGB colour.
        alpha: coverage `(H, W)` in [0, 1].

    Returns:
        `out`.
    """
    out += (np.asarray(color, np.float32) - out) * alpha[..., None]
    return out


def fill(shape: tuple[int, ...], color: ArrayLike) -> np.ndarray:
    """An image of one colour.

    Args:
        shape: `(H, W)` of the image.
        color: RGB colour.

    Returns:
        A new float32 array `(H, W, 3)`.
    """
    return np.broadcast_to(np.asarray(color, np.float32), (*shape, 3)).copy()


def value_noise(
    u: np.ndarray, v: np.ndarray, scale: float, table: np.ndarray
) -> np.ndarray:
    """Smooth noise in [0, 1] from a periodic random lattice `table`.

    Args:
        u: horizontal coordinates.
        v: vertical coordinates, the shape of `u`.
        scale: lattice spacing, in the units of `u` and `v`.
        table: square array `(N, N)` of random values in [0, 1], repeated
            every `N` lattice cells.

    Returns:
        The noise, an array of the shape of `u`.
    """
    x, y = u / scale, v / scale
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    n = table.shape[0]
    i0, j0 = x0.astype(np.int64) % n, y0.astype(np.int64) % n
    i1, j1 = (i0 + 1) % n, (j0 + 1) % n
    top = table[j0, i0] + (table[j0, i1] - table[j0, i0]) * fx
    bottom = table[j1, i0] + (table[j1, i1] - table[j1, i0]) * fx
    return top + (bottom - top) * fy


def sample_texture(
    image: np.ndarray, u: np.ndarray, v: np.ndarray, zoom: float = 1.0
) -> np.ndarray:
    """A texture image tiled over pattern-space coordinates, sampled bilinearly.

    Args:
        image: uint8 `(S, S, 3)` texture, repeated in both directions.
        u: float array `(H, W)`, horizontal pattern coordinate in pixels.
        v: float array `(H, W)`, vertical coordinate, the shape of `u`.
        zoom: texture pixels per pattern pixel (above 1 shrinks the texture).

    Returns:
        float32 array `(H, W, 3)` in [0, 1].
    """
    texture = image.astype(np.float32) / 255.0
    height, width = texture.shape[:2]
    x, y = u * zoom, v * zoom
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    x0, y0 = x0.astype(np.int64) % width, y0.astype(np.int64) % height
    x1, y1 = (x0 + 1) % width, (y0 + 1) % height
    top = texture[y0, x0] * (1 - fx) + texture[y0, x1] * fx
    bottom = texture[y1, x0] * (1 - fx) + texture[y1, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)
