"""Flat fabric patches: the patterns alone, as a patch extractor would cut them.

Each item is one fabric (a pattern spec); each view of it is a patch cut at
another place, scale and angle of the garment, bent by folds, shaded and lit
differently, with sensor noise: true positives for metric learning and
textured targets for super-resolution.
"""

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic.generator import family_ids
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.patterns import render_pattern
from keras_patterns.datasets.synthetic.patterns import sample_pattern
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_size


def view_coordinates(
    size: tuple[int, int], rng: np.random.Generator, scale: float, distort: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Pattern-space coordinates of one patch: shifted, scaled, folded."""
    height, width = size
    v, u = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.normal(0, 0.06) if distort else 0.0
    cos, sin = np.cos(angle), np.sin(angle)
    u, v = cos * u + sin * v, -sin * u + cos * v
    u = u / scale + rng.uniform(0, 400)
    v = v / scale + rng.uniform(0, 400)
    shade = np.ones((height, width), np.float32)
    if distort:
        wavelength = rng.uniform(0.6, 2.0) * max(size)
        phase = rng.uniform(0, 2 * np.pi)
        strength = rng.uniform(0.0, 0.35)
        bend = (
            2 * np.pi * np.arange(width, dtype=np.float32)[None, :] / wavelength + phase
        )
        u = u + strength * wavelength / (2 * np.pi) / scale * np.sin(bend)
        shade = shade * (1.0 - rng.uniform(0.0, 0.18) * (0.5 + 0.5 * np.cos(bend)))
    return u, v, shade


def _render_view(spec, size, rng, scale, distort):
    u, v, shade = view_coordinates(size, rng, scale, distort)
    image = render_pattern(spec, u, v, 1.0 / scale) * shade[..., None]
    if distort:
        ramp = np.linspace(-0.5, 0.5, size[1], dtype=np.float32)[None, :, None]
        image = image * rng.uniform(0.85, 1.12) * (1 + rng.normal(0, 0.1) * ramp)
        image = image + rng.standard_normal(
            image.shape, dtype=np.float32
        ) * rng.uniform(0.0, 0.015)
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def check_patch_arguments(
    n: int, size: Size, views_per_item: int, scale_range: tuple[float, float]
) -> tuple[int, tuple[int, int], int]:
    """Checks the arguments shared by the patch generators.

    Args:
        n: number of patches.
        size: `(height, width)`.
        views_per_item: consecutive patches of one item.
        scale_range: `(low, high)` range of the pattern's scale.

    Returns:
        The checked `(n, size, views_per_item)`.
    """
    n = check_int(n, "n")
    size = check_size(size, "size", minimum=4)
    views_per_item = check_int(views_per_item, "views_per_item")
    if not 0 < scale_range[0] <= scale_range[1]:
        raise ValueError(
            f'"scale_range" must be (low, high) with 0 < low <= high. '
            f"Received: scale_range={scale_range!r}"
        )
    return n, size, views_per_item


def draw_views(
    n: int,
    size: tuple[int, int],
    views_per_item: int,
    ids: Sequence[int],
    scale_range: tuple[float, float],
    key: Sequence[int],
    sample: Callable[[int, np.random.Generator], dict[str, Any]],
    render: Callable[[dict[str, Any], np.random.Generator, float], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """The loop shared by the patch generators: items, then their views.

    Item `index` draws its family (cycling through `ids`), its spec
    (`sample(family, rng)`) and a log-uniform base scale in `scale_range`
    from `default_rng([*key, index])`; its view `k` is
    `render(spec, view_rng, base)` with `view_rng` seeded by
    `[*key, index, k + 1]`, so patch `i` is the same whatever `n` is.

    Returns:
        The uint8 images `(n, *size, 3)` and each patch's family id `(n,)`.
    """
    images = np.empty((n, *size, 3), np.uint8)
    labels = np.empty(n, np.int64)
    spec, base, family = None, 1.0, ids[0]
    for i in range(n):
        index, k = divmod(i, views_per_item)
        key_i = [*key[:1], index, *key[1:]]
        if k == 0:
            rng = np.random.default_rng(key_i)
            family = ids[index % len(ids)]
            spec = sample(family, rng)
            low, high = np.log(scale_range[0]), np.log(scale_range[1])
            base = float(np.exp(rng.uniform(low, high)))
        images[i] = render(spec, np.random.default_rng([*key_i, k + 1]), base)
        labels[i] = family
    return images, labels


def make_pattern_patches(
    n: int,
    size: Size = (64, 64),
    seed: int = 0,
    views_per_item: int = 1,
    families: Iterable[str | int] | None = None,
    scale_range: tuple[float, float] = (0.6, 1.6),
    distort: bool = True,
) -> dict[str, Any]:
    """Draws `n` fabric patches; consecutive views share one fabric.

    Args:
        n: number of patches.
        size: `(height, width)`.
        seed: random seed; patch `i` is the same whatever `n` is.
        views_per_item: consecutive patches cut from the same fabric (same
            pattern, colours and base scale; another place, scale within
            +-15 %, folds, light and noise).
        families: optional subset of `PATTERN_FAMILIES` (names or indices);
            items cycle through them.
        scale_range: range of the fabric's pattern scale (1 = as drawn on
            a 256-pixel-high figure).
        distort: folds, shading, lighting and noise; `False` gives clean,
            flat, axis-aligned patches.

    Returns:
        A dict with `images` uint8 `(n, H, W, 3)`, `pattern` int `(n,)`,
        `item_id` int `(n,)` and `pattern_names`.

    Example:

    >>> import keras_patterns as kp
    >>> data = kp.datasets.make_pattern_patches(4, size=(32, 32), views_per_item=2)
    >>> data["images"].shape, data["item_id"].tolist()
    ((4, 32, 32, 3), [0, 0, 1, 1])
    """
    n, size, views_per_item = check_patch_arguments(
        n, size, views_per_item, scale_range
    )

    def render(spec, rng, base):
        scale = base * (rng.uniform(0.85, 1.15) if distort else 1.0)
        return _render_view(spec, size, rng, scale, distort)

    images, patterns = draw_views(
        n,
        size,
        views_per_item,
        family_ids(families),
        scale_range,
        [seed],
        sample_pattern,
        render,
    )
    return {
        "images": images,
        "pattern": patterns,
        "item_id": np.arange(n) // views_per_item,
        "pattern_names": PATTERN_FAMILIES,
    }
