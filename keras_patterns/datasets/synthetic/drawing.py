"""Drawing primitives shared by the pattern families: colours, anti-aliased
shapes and smooth noise, all vectorised over coordinate arrays."""

import colorsys

import numpy as np


def random_color(rng, value=(0.2, 0.95), saturation=(0.15, 0.9), hue=None):
    h = rng.random() if hue is None else hue % 1.0
    s = rng.uniform(*saturation)
    v = rng.uniform(*value)
    return np.array(colorsys.hsv_to_rgb(h, s, v), dtype=np.float32)


def luma(color):
    return float(color @ np.array([0.299, 0.587, 0.114], dtype=np.float32))


def contrasting_colors(rng, n, min_contrast=0.22):
    """`n` random colours whose luma differs from the first by `min_contrast`."""
    colors = [random_color(rng)]
    while len(colors) < n:
        candidate = random_color(rng)
        if abs(luma(candidate) - luma(colors[0])) >= min_contrast:
            colors.append(candidate)
    return colors


def aa(distance, pixel):
    """Coverage in [0, 1] of a shape from its signed distance (inside > 0)."""
    return np.clip(distance / pixel + 0.5, 0.0, 1.0)


def bands(t, period, width, pixel, phase=0.0):
    """Anti-aliased stripes of `width` repeating every `period` along `t`."""
    offset = np.abs(((t - phase) / period + 0.5) % 1.0 - 0.5) * period
    return aa(width / 2.0 - offset, pixel)


def mix(out, color, alpha):
    """Paints `color` over `out` (H, W, 3) with coverage `alpha` (H, W)."""
    out += (np.asarray(color, np.float32) - out) * alpha[..., None]
    return out


def fill(shape, color):
    return np.broadcast_to(np.asarray(color, np.float32), (*shape, 3)).copy()


def value_noise(u, v, scale, table):
    """Smooth noise in [0, 1] from a periodic random lattice `table`."""
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
