"""Motif patterns scattered on a jittered lattice: floral, paisley, animal.

Each lattice cell holds at most one motif, drawn from that cell's row of a
small random table (position, size, rotation, colour), so motifs never cross
cell borders and rendering stays a handful of vectorised array operations.

Each family has a `sample_<family>(rng)` that draws a spec (a dict of
colours, sizes and a cell table) and a `render_<family>(spec, u, v, pixel)`
that paints it: `u` and `v` are float arrays `(H, W)` of horizontal and
vertical pattern coordinates, `pixel` is the size of one image pixel in
pattern units (for antialiasing), and the result is a float32 image
`(H, W, 3)` in [0, 1].
"""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic import drawing as base

CELL_TABLE = 16


def _cells(u, v, size, table):
    """Per-pixel cell parameters and position inside the cell (0..1)."""
    x, y = u / size, v / size
    i, j = np.floor(x), np.floor(y)
    params = table[j.astype(np.int64) % CELL_TABLE, i.astype(np.int64) % CELL_TABLE]
    return params, x - i, y - j


def _polar(dx, dy, angle):
    return np.hypot(dx, dy), np.arctan2(dy, dx) - angle


def _cell_table(rng, columns):
    return rng.random((CELL_TABLE, CELL_TABLE, columns)).astype(np.float32)


# === Floral: five- or six-petal flowers in two sizes ===


def sample_floral(rng: np.random.Generator) -> dict[str, Any]:
    """Draws a floral fabric: ground, two flower colours, centres and leaves.

    See the module docstring for the arguments and the result.
    """
    background = base.random_color(rng)
    flowers = base.contrasting_colors(rng, 3, 0.2)[1:]
    leaf = base.random_color(rng, (0.25, 0.6), (0.3, 0.8), hue=rng.uniform(0.22, 0.42))
    center = base.random_color(rng, (0.6, 1.0), (0.5, 1.0), hue=rng.uniform(0.1, 0.17))
    return {
        "colors": [background, *flowers, center, leaf],
        "angle": rng.uniform(0, 2 * np.pi),
        "size": rng.uniform(18, 44),
        "density": rng.uniform(0.55, 1.0),
        "cells": _cell_table(rng, 6),
        "small_cells": _cell_table(rng, 6),
    }


def _flowers(out, spec, u, v, pixel, size, table, scale):
    t, lx, ly = _cells(u, v, size, table)
    radius = scale * (0.17 + 0.12 * t[..., 2])
    margin = radius + 0.1
    cx = margin + (1 - 2 * margin) * t[..., 0]
    cy = margin + (1 - 2 * margin) * t[..., 1]
    r, phi = _polar(lx - cx, ly - cy, t[..., 3] * 2 * np.pi)
    present = t[..., 5] < spec["density"]
    petals = np.where(t[..., 4] < 0.5, 5, 6)
    leaf_r, _ = _polar(
        lx - cx - np.cos(t[..., 3] * 7) * radius * 1.1,
        (ly - cy - np.sin(t[..., 3] * 7) * radius * 1.1) * 1.8,
        0.0,
    )
    leaf = base.aa((0.33 * radius - leaf_r) * size, pixel) * present
    base.mix(out, spec["colors"][4], leaf)
    outline = radius * (0.55 + 0.45 * np.abs(np.cos(petals * phi / 2)))
    color = np.where((t[..., 4] * 7 % 1 < 0.5)[..., None], *spec["colors"][1:3])
    flower = base.aa((outline - r) * size, pixel) * present
    out += (color - out) * flower[..., None]
    return base.mix(
        out, spec["colors"][3], base.aa((0.25 * radius - r) * size, pixel) * present
    )


def render_floral(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    """Renders a floral spec: small flowers under large ones.

    See the module docstring for the arguments and the result.
    """
    out = base.fill(u.shape, spec["colors"][0])
    small = spec["size"] * 0.55
    _flowers(
        out,
        spec,
        u + 0.37 * small,
        v + 0.61 * small,
        pixel,
        small,
        spec["small_cells"],
        0.8,
    )
    return _flowers(out, spec, u, v, pixel, spec["size"], spec["cells"], 1.0)


# === Paisley: curled teardrops with an inner drop and an eye ===


def sample_paisley(rng: np.random.Generator) -> dict[str, Any]:
    """Draws a paisley fabric: four colours, motif size and tail curl.

    See the module docstring for the arguments and the result.
    """
    return {
        "colors": base.contrasting_colors(rng, 4, 0.18),
        "angle": rng.uniform(0, 2 * np.pi),
        "size": rng.uniform(26, 56),
        "swirl": rng.uniform(0.8, 1.8) * rng.choice([-1, 1]),
        "cells": _cell_table(rng, 4),
    }


def _teardrop(r, phi, radius, swirl):
    """Radius of a teardrop whose round end faces +x and tail curls away."""
    phi = phi + swirl * np.maximum(r / radius - 1.0, 0.0)
    tail = np.maximum(-np.cos(phi), 0.0) ** 6
    return radius * (1.0 + 1.3 * tail)


def render_paisley(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    """Renders a paisley spec: teardrops with an inner drop, an eye and dots.

    See the module docstring for the arguments and the result.
    """
    size = spec["size"]
    out = base.fill(u.shape, spec["colors"][0])
    t, lx, ly = _cells(u, v, size, spec["cells"])
    radius = 0.13 + 0.05 * t[..., 2]
    cx = 0.5 + 0.08 * (t[..., 0] - 0.5)
    cy = 0.5 + 0.08 * (t[..., 1] - 0.5)
    r, phi = _polar(lx - cx, ly - cy, t[..., 3] * 2 * np.pi)
    boundary = _teardrop(r, phi, radius, spec["swirl"])
    base.mix(out, spec["colors"][1], base.aa((boundary - r) * size, pixel))
    base.mix(out, spec["colors"][2], base.aa((0.62 * boundary - r) * size, pixel))
    base.mix(out, spec["colors"][3], base.aa((0.3 * radius - r) * size, pixel))
    ring = np.abs(r - 0.8 * boundary) * size
    base.mix(out, spec["colors"][3], base.aa(0.6 - ring, pixel) * 0.8)
    dots_t, dx, dy = _cells(u + size / 2, v + size / 2, size, spec["cells"])
    dot = np.hypot(dx - 0.5, dy - 0.5) * size
    return base.mix(out, spec["colors"][2], base.aa(0.06 * size - dot, pixel))


# === Animal print: leopard rosettes or zebra stripes ===


def sample_animal(rng: np.random.Generator) -> dict[str, Any]:
    """Draws an animal print: leopard or zebra, mostly in natural colours.

    See the module docstring for the arguments and the result.
    """
    natural = rng.random() < 0.75
    if natural:
        hue = rng.uniform(0.07, 0.12)
        colors = [
            base.random_color(rng, (0.6, 0.9), (0.35, 0.7), hue=hue),
            base.random_color(rng, (0.03, 0.18), (0.2, 0.7), hue=hue),
            base.random_color(rng, (0.45, 0.7), (0.5, 0.8), hue=hue - 0.02),
        ]
    else:
        colors = base.contrasting_colors(rng, 3, 0.3)
    return {
        "colors": colors,
        "kind": "zebra" if rng.random() < 0.3 else "leopard",
        "angle": rng.uniform(0, 2 * np.pi),
        "size": rng.uniform(10, 24),
        "cells": _cell_table(rng, 5),
    }


def _zebra(spec, u, v, pixel):
    light, dark = spec["colors"][0], spec["colors"][1]
    light = np.full(3, 0.9, np.float32) if spec["size"] < 17 else light
    warp = base.value_noise(u, v, spec["size"] * 2.5, spec["noise"]) - 0.5
    t = v + warp * spec["size"] * 3.0
    out = base.fill(u.shape, light)
    return base.mix(out, dark, base.bands(t, spec["size"], spec["size"] * 0.45, pixel))


def render_animal(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    """Renders an animal-print spec: leopard rosettes or zebra stripes.

    See the module docstring for the arguments and the result.
    """
    if spec["kind"] == "zebra":
        return _zebra(spec, u, v, pixel)
    size = spec["size"]
    wobble = base.value_noise(u, v, size * 0.35, spec["noise"]) - 0.5
    t, lx, ly = _cells(u + wobble * size * 0.25, v, size, spec["cells"])
    r, phi = _polar(lx - (0.35 + 0.3 * t[..., 0]), ly - (0.35 + 0.3 * t[..., 1]), 0.0)
    radius = (0.15 + 0.07 * t[..., 2]) * (1 + 0.22 * np.sin(3 * phi + 6 * t[..., 3]))
    ring = base.aa((0.055 - np.abs(r - radius)) * size, pixel)
    gaps = np.sin(4 * phi + 9 * t[..., 4]) < 0.55
    out = base.fill(u.shape, spec["colors"][0])
    base.mix(out, spec["colors"][2], base.aa((radius - r) * size, pixel))
    return base.mix(out, spec["colors"][1], ring * gaps)
