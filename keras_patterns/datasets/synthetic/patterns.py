"""Procedural textile patterns, rendered from pattern-space coordinates.

A pattern is a `dict` spec (family, colours, period, angle and
family-specific numbers) drawn once per item by `sample_pattern`, and an
image computed by `render_pattern(spec, u, v, pixel)` from coordinate arrays.
Because the image is a function of coordinates, the same fabric can be
folded, shifted, scaled or mirrored by warping `u` and `v` before rendering,
which is how several views of one garment share their pattern.

Edges are anti-aliased from signed distances (`pixel` is the size of one
image pixel in pattern units), so fine stripes do not alias into moire.
Woven families (gingham, plaid, houndstooth, herringbone) are rendered as
real weaves: warp and weft threads with a twill order deciding which shows.
"""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic import motifs
from keras_patterns.datasets.synthetic.drawing import aa
from keras_patterns.datasets.synthetic.drawing import bands
from keras_patterns.datasets.synthetic.drawing import contrasting_colors
from keras_patterns.datasets.synthetic.drawing import fill
from keras_patterns.datasets.synthetic.drawing import mix
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.drawing import value_noise
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice

NOISE_GRID = 32


def _weave(warp, weft, u, v, thread, twill=2):
    """Shows warp or weft colours in a `twill`/`twill` weave order."""
    order = (np.floor(u / thread) + np.floor(v / thread)) % (2 * twill) < twill
    return np.where(order[..., None], warp, weft)


def _thread_colors(t, thread, sett, palette):
    """Colours of threads along `t` following a repeating `sett` of indices."""
    index = np.floor(t / thread).astype(np.int64) % len(sett)
    return palette[np.asarray(sett)[index]]


# === Families: sample (rng -> spec) and render (spec, u, v, pixel -> rgb) ===


def _sample_solid(rng):
    return {"colors": [random_color(rng)], "grain": rng.uniform(0.02, 0.07)}


def _render_solid(spec, u, v, pixel):
    grain = value_noise(u, v, 1.5, spec["noise"]) - 0.5
    return fill(u.shape, spec["colors"][0]) * (1 + spec["grain"] * grain)[..., None]


def _sample_stripes(rng, angle, period=(8, 30)):
    n = rng.choice([2, 2, 3])
    return {
        "colors": contrasting_colors(rng, n),
        "angle": angle + rng.normal(0, 0.05),
        "period": rng.uniform(*period),
        "widths": rng.uniform(0.2, 0.5, size=2),
    }


def _render_stripes(spec, u, v, pixel):
    colors, period = spec["colors"], spec["period"]
    out = fill(u.shape, colors[0])
    mix(out, colors[1], bands(v, period, spec["widths"][0] * period, pixel))
    if len(colors) > 2:
        width = spec["widths"][1] * period * 0.4
        mix(out, colors[2], bands(v, period, width, pixel, phase=period / 2))
    return out


def _sample_pinstripe(rng):
    base = random_color(rng, value=(0.08, 0.45), saturation=(0.0, 0.6))
    line = random_color(rng, value=(0.75, 1.0), saturation=(0.0, 0.3))
    return {
        "colors": [base, line],
        "angle": np.pi / 2 + rng.normal(0, 0.04),
        "period": rng.uniform(6, 14),
        "width": rng.uniform(0.9, 1.6),
        "double": rng.random() < 0.3,
    }


def _render_pinstripe(spec, u, v, pixel):
    out = fill(u.shape, spec["colors"][0])
    line = bands(v, spec["period"], spec["width"], pixel)
    if spec["double"]:
        line = np.maximum(line, bands(v, spec["period"], spec["width"], pixel, 2.5))
    return mix(out, spec["colors"][1], line)


def _sample_gingham(rng):
    light = random_color(rng, value=(0.85, 1.0), saturation=(0.0, 0.15))
    return {
        "colors": [light, random_color(rng, value=(0.2, 0.7), saturation=(0.4, 1.0))],
        "angle": rng.normal(0, 0.04),
        "period": rng.uniform(6, 26),
    }


def _render_gingham(spec, u, v, pixel):
    light, dark = spec["colors"]
    half = spec["period"] / 2
    a = bands(u, spec["period"], half, pixel)
    b = bands(v, spec["period"], half, pixel)
    out = fill(u.shape, light)
    mix(out, (light + dark) / 2, np.clip(a + b, 0, 1))
    return mix(out, dark, a * b)


def _sample_plaid(rng):
    palette = np.stack(contrasting_colors(rng, rng.integers(3, 5), 0.12))
    stripes = rng.integers(4, 8)
    counts = rng.integers(2, 12, size=stripes)
    colors = rng.integers(0, len(palette), size=stripes)
    sett = np.repeat(colors, counts)
    sett = np.concatenate([sett, sett[::-1]])
    # A sett (one repeat of the tartan) spans 24-70 px whatever its thread count.
    thread = float(np.clip(rng.uniform(24, 70) / len(sett), 0.5, 2.5))
    return {
        "colors": list(palette),
        "angle": rng.normal(0, 0.04),
        "sett": sett,
        "thread": thread,
    }


def _render_plaid(spec, u, v, pixel):
    palette = np.stack(spec["colors"])
    warp = _thread_colors(u, spec["thread"], spec["sett"], palette)
    weft = _thread_colors(v, spec["thread"], spec["sett"], palette)
    blend = (warp + weft) / 2
    woven = _weave(warp, weft, u, v, spec["thread"])
    return (0.6 * blend + 0.4 * woven).astype(np.float32)


def _sample_houndstooth(rng):
    return {
        "colors": contrasting_colors(rng, 2, 0.35),
        "angle": rng.normal(0, 0.04),
        "thread": rng.uniform(1.2, 3.5),
    }


def _render_houndstooth(spec, u, v, pixel):
    palette = np.stack(spec["colors"])
    sett = [0, 0, 0, 0, 1, 1, 1, 1]
    warp = _thread_colors(u, spec["thread"], sett, palette)
    weft = _thread_colors(v, spec["thread"], sett, palette)
    return _weave(warp, weft, u, v, spec["thread"])


def _sample_herringbone(rng):
    return {
        "colors": contrasting_colors(rng, 2, 0.18),
        "angle": np.pi / 2 * rng.integers(0, 2) + rng.normal(0, 0.04),
        "column": rng.uniform(6, 16),
        "period": rng.uniform(2.5, 5),
    }


def _render_herringbone(spec, u, v, pixel):
    column = np.floor(u / spec["column"])
    sign = np.where(column % 2 == 0, 1.0, -1.0)
    t = v + sign * (u - column * spec["column"])
    out = fill(u.shape, spec["colors"][0])
    mix(out, spec["colors"][1], bands(t, spec["period"], spec["period"] / 2, pixel))
    seam = bands(u, spec["column"], 0.6, pixel)
    return mix(out, spec["colors"][0] * 0.8, seam)


def _sample_dots(rng):
    spacing = rng.uniform(9, 30)
    return {
        "colors": contrasting_colors(rng, 2, 0.3),
        "angle": rng.uniform(0, np.pi),
        "period": spacing,
        "radius": spacing * rng.uniform(0.14, 0.33),
        "staggered": rng.random() < 0.6,
    }


def _render_dots(spec, u, v, pixel):
    s = spec["period"]
    row = np.floor(v / s)
    shift = np.where(row % 2 == 1, 0.5 * s, 0.0) if spec["staggered"] else 0.0
    dx = ((u + shift) / s) % 1.0 - 0.5
    dy = (v / s) % 1.0 - 0.5
    distance = spec["radius"] - np.hypot(dx, dy) * s
    out = fill(u.shape, spec["colors"][0])
    return mix(out, spec["colors"][1], aa(distance, pixel))


def _sample_chevron(rng):
    wavelength = rng.uniform(14, 40)
    return {
        "colors": contrasting_colors(rng, rng.choice([2, 3])),
        "angle": rng.normal(0, 0.05),
        "period": rng.uniform(8, 24),
        "wavelength": wavelength,
        "amplitude": wavelength * rng.uniform(0.2, 0.5),
    }


def _render_chevron(spec, u, v, pixel):
    phase = u / spec["wavelength"]
    triangle = np.abs(phase - np.floor(phase) - 0.5) * 2 * spec["amplitude"]
    t = v + triangle
    out = fill(u.shape, spec["colors"][0])
    mix(out, spec["colors"][1], bands(t, spec["period"], spec["period"] / 2, pixel))
    if len(spec["colors"]) > 2:
        third = bands(t, spec["period"], spec["period"] / 6, pixel, spec["period"] / 2)
        mix(out, spec["colors"][2], third)
    return out


def _sample_argyle(rng):
    width = rng.uniform(14, 34)
    return {
        "colors": contrasting_colors(rng, 3, 0.15),
        "angle": rng.normal(0, 0.04),
        "width": width,
        "height": width * rng.uniform(1.2, 1.7),
        "line": rng.uniform(0.8, 1.8),
    }


def _render_argyle(spec, u, v, pixel):
    a = u / spec["width"] + v / spec["height"]
    b = u / spec["width"] - v / spec["height"]
    checker = (np.floor(a) + np.floor(b)) % 2
    out = fill(u.shape, spec["colors"][0])
    mix(out, spec["colors"][1], checker.astype(np.float32))
    scale = spec["width"] / 2
    line = np.maximum(
        bands(a * scale, scale, spec["line"], pixel, scale / 2),
        bands(b * scale, scale, spec["line"], pixel, scale / 2),
    )
    return mix(out, spec["colors"][2], line)


def _sample_camouflage(rng):
    woodland = rng.random() < 0.5
    if woodland:
        colors = [
            random_color(rng, (0.3, 0.55), (0.3, 0.6), hue=rng.uniform(0.2, 0.3)),
            random_color(rng, (0.25, 0.45), (0.3, 0.6), hue=rng.uniform(0.06, 0.1)),
            random_color(rng, (0.45, 0.7), (0.2, 0.5), hue=rng.uniform(0.12, 0.2)),
            random_color(rng, (0.05, 0.15), (0.0, 0.3)),
        ]
    else:
        colors = contrasting_colors(rng, 4, 0.12)
    return {
        "colors": colors,
        "angle": rng.uniform(0, np.pi),
        "scale": rng.uniform(9, 22),
    }


def _render_camouflage(spec, u, v, pixel):
    table = spec["noise"]
    s = spec["scale"]
    field = value_noise(u, v, s, table) * 0.7 + value_noise(u, v, s / 3, table.T) * 0.3
    other = value_noise(u + 517.0, v + 211.0, s * 0.8, table) * 0.75
    other = other + value_noise(u, v, s / 4, table[::-1]) * 0.25
    out = fill(u.shape, spec["colors"][0])
    mix(out, spec["colors"][1], aa((field - 0.5) * s, pixel))
    mix(out, spec["colors"][2], aa((other - 0.6) * s, pixel))
    return mix(out, spec["colors"][3], aa((0.32 - field) * s, pixel))


_FAMILIES = {
    "solid": (_sample_solid, _render_solid),
    "horizontal_stripes": (lambda r: _sample_stripes(r, 0.0), _render_stripes),
    "vertical_stripes": (lambda r: _sample_stripes(r, np.pi / 2), _render_stripes),
    "diagonal_stripes": (
        lambda r: _sample_stripes(r, np.pi / 4 * r.choice([-1, 1])),
        _render_stripes,
    ),
    "pinstripe": (_sample_pinstripe, _render_pinstripe),
    "gingham": (_sample_gingham, _render_gingham),
    "plaid": (_sample_plaid, _render_plaid),
    "polka_dots": (_sample_dots, _render_dots),
    "houndstooth": (_sample_houndstooth, _render_houndstooth),
    "chevron": (_sample_chevron, _render_chevron),
    "floral": (motifs.sample_floral, motifs.render_floral),
    "paisley": (motifs.sample_paisley, motifs.render_paisley),
    "animal_print": (motifs.sample_animal, motifs.render_animal),
    "camouflage": (_sample_camouflage, _render_camouflage),
    "argyle": (_sample_argyle, _render_argyle),
    "herringbone": (_sample_herringbone, _render_herringbone),
}

PATTERN_FAMILIES = tuple(_FAMILIES)
"""Names of the synthetic pattern families; the index is the family id."""


def sample_pattern(
    family: str | int | np.integer, rng: np.random.Generator
) -> dict[str, Any]:
    """Draws the colours and geometry of one fabric of `family`.

    Args:
        family: a name from `PATTERN_FAMILIES` or its index.
        rng: a `numpy.random.Generator`.

    Returns:
        A spec `dict` for `render_pattern`.
    """
    if isinstance(family, (int, np.integer)):
        if not 0 <= family < len(PATTERN_FAMILIES):
            raise ValueError(
                f'"family" must be a name from PATTERN_FAMILIES or an index in '
                f"[0, {len(PATTERN_FAMILIES) - 1}]. Received: family={family!r}"
            )
        family = PATTERN_FAMILIES[family]
    check_choice(family, PATTERN_FAMILIES, "family")
    spec = {"angle": 0.0}
    spec.update(_FAMILIES[family][0](rng))
    spec["family"] = family
    spec["noise"] = rng.random((NOISE_GRID, NOISE_GRID)).astype(np.float32)
    spec["offset"] = rng.uniform(0, 500, size=2)
    return spec


def render_pattern(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float = 1.0
) -> np.ndarray:
    """Renders a pattern spec at pattern-space coordinates.

    Args:
        spec: a spec from `sample_pattern`.
        u: float array `(H, W)`, horizontal pattern coordinate in pixels.
        v: float array `(H, W)`, vertical pattern coordinate in pixels.
        pixel: the size of one image pixel in pattern units, for
            anti-aliasing.

    Returns:
        float32 array `(H, W, 3)` in [0, 1].
    """
    cos, sin = np.cos(spec["angle"]), np.sin(spec["angle"])
    ru = cos * u + sin * v + spec["offset"][0]
    rv = -sin * u + cos * v + spec["offset"][1]
    out = _FAMILIES[spec["family"]][1](spec, ru, rv, max(float(pixel), 1e-3))
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


def pattern_swatch(
    family: str | int | np.integer,
    size: Size = (96, 96),
    seed: int = 0,
    scale: float = 1.0,
) -> np.ndarray:
    """A flat swatch of one pattern family, as a uint8 image.

    Args:
        family: a name from `PATTERN_FAMILIES` or its index.
        size: `(height, width)` in pixels.
        seed: random seed of the fabric's colours and geometry.
        scale: zoom of the pattern (2 draws it twice as large).

    Returns:
        uint8 array `(height, width, 3)`.

    Example:

    >>> from keras_patterns.datasets import pattern_swatch
    >>> tuple(pattern_swatch("houndstooth", (32, 48)).shape)
    (32, 48, 3)
    """
    rng = np.random.default_rng(seed)
    spec = sample_pattern(family, rng)
    v, u = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float32) / scale
    return np.round(render_pattern(spec, u, v, 1.0 / scale) * 255).astype(np.uint8)
