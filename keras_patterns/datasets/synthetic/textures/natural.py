"""Natural texture families: camouflage, animal prints, floral and foliage."""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic import motifs
from keras_patterns.datasets.synthetic.drawing import aa
from keras_patterns.datasets.synthetic.drawing import bands
from keras_patterns.datasets.synthetic.drawing import mix
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.textures.tools import TAU
from keras_patterns.datasets.synthetic.textures.tools import apply_shading
from keras_patterns.datasets.synthetic.textures.tools import cell_table
from keras_patterns.datasets.synthetic.textures.tools import colour_ramp
from keras_patterns.datasets.synthetic.textures.tools import domain_warp
from keras_patterns.datasets.synthetic.textures.tools import fractal_noise
from keras_patterns.datasets.synthetic.textures.tools import natural_colour
from keras_patterns.datasets.synthetic.textures.tools import per_cell
from keras_patterns.datasets.synthetic.textures.tools import random_palette
from keras_patterns.datasets.synthetic.textures.tools import relief
from keras_patterns.datasets.synthetic.textures.tools import voronoi

# === Camouflage: woodland, digital, desert, brushstroke ===

# Per style, four colours as (hue range or None for any, value, saturation).
_CAMO_STYLES = {
    "woodland": (
        ((0.22, 0.28), (0.3, 0.55), (0.3, 0.65)),
        ((0.06, 0.1), (0.2, 0.4), (0.3, 0.6)),
        ((0.12, 0.2), (0.45, 0.7), (0.2, 0.5)),
        (None, (0.03, 0.14), (0.0, 0.3)),
    ),
    "desert": (
        ((0.09, 0.13), (0.7, 0.9), (0.2, 0.45)),
        ((0.06, 0.1), (0.5, 0.7), (0.3, 0.55)),
        ((0.1, 0.15), (0.35, 0.55), (0.3, 0.6)),
        ((0.07, 0.11), (0.2, 0.35), (0.2, 0.5)),
    ),
    "urban": tuple(
        (None, value, (0.0, 0.1))
        for value in ((0.55, 0.8), (0.35, 0.5), (0.15, 0.3), (0.02, 0.1))
    ),
    "snow": tuple(
        (None, value, (0.0, 0.1))
        for value in ((0.85, 1.0), (0.6, 0.8), (0.35, 0.55), (0.05, 0.2))
    ),
}


def _camo_palette(rng):
    style = rng.choice([*_CAMO_STYLES, "any"], p=[0.35, 0.2, 0.12, 0.08, 0.25])
    if style == "any":
        return random_palette(rng, 4, 0.1)
    return np.stack(
        [
            random_color(
                rng, value, sat, hue=None if hue is None else rng.uniform(*hue)
            )
            for hue, value, sat in _CAMO_STYLES[style]
        ]
    )


def sample_camouflage(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["woodland", "digital", "desert", "brush"], p=[0.35, 0.25, 0.2, 0.2]
    )
    palette = _camo_palette(rng)
    rng.shuffle(palette[:3])
    return {
        "kind": kind,
        "palette": palette,
        "scale": rng.uniform(8, 30),
        "block": rng.uniform(1.5, 4.5),
        "stretch": rng.uniform(1.8, 4.0),
        "levels": rng.uniform([-0.2, 0.1, -1.3], [0.3, 0.6, -0.6]),
        "chips": rng.random() < 0.4,
    }


def render_camouflage(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    s, palette, table = spec["scale"], spec["palette"], spec["noise"]
    kind = spec["kind"]
    x, y = u, v
    if kind == "digital":
        block = np.float32(spec["block"])
        x, y = np.floor(u / block) * block, np.floor(v / block) * block
    elif kind == "brush":
        x = u / np.float32(spec["stretch"])
    octaves = 2 if kind == "desert" else 3
    first = fractal_noise(x, y, s, table, octaves)
    second = fractal_noise(
        x + np.float32(71.3 * s), y + np.float32(13.7 * s), s * 0.8, table, octaves
    )
    # A blob edge moves by about s / 3 per unit of noise.
    edge = np.float32(1e4 if kind == "digital" else s / 3)
    low, mid, dark = spec["levels"]
    out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
    mix(out, palette[1], aa((first - low) * edge, pixel))
    mix(out, palette[2], aa((second - mid) * edge, pixel))
    if kind == "desert" and spec["chips"]:
        chips = fractal_noise(x, y, s * 0.2, table, 1)
        mix(out, palette[3], aa((chips - 1.4) * edge * 0.2, pixel))
    else:
        mix(out, palette[3], aa((dark - first) * edge, pixel))
    return out


# === Animal prints: leopard, cheetah, zebra, giraffe, snake, croc, ermine ===


def _animal_palette(rng, kind):
    if rng.random() < 0.3:
        return random_palette(rng, 3, 0.3)
    hue = rng.uniform(0.06, 0.12)
    if kind == "zebra":
        light = random_color(rng, (0.8, 1.0), (0.0, 0.2), hue=hue)
        return np.stack(
            [light, random_color(rng, (0.0, 0.15), (0.0, 0.4)), light * 0.9]
        )
    if kind == "ermine":
        ground = random_color(rng, (0.85, 1.0), (0.0, 0.12), hue=hue)
        spot = random_color(rng, (0.0, 0.12), (0.0, 0.3))
        pair = [ground, spot] if rng.random() < 0.75 else [spot, ground]
        return np.stack([*pair, spot])
    if kind == "giraffe":
        border = random_color(rng, (0.8, 0.97), (0.05, 0.3), hue=hue)
        patch = random_color(rng, (0.35, 0.65), (0.5, 0.85), hue=hue - 0.02)
        return np.stack([border, patch, patch * 0.6])
    ground = random_color(rng, (0.55, 0.9), (0.3, 0.7), hue=hue)
    dark = random_color(rng, (0.02, 0.2), (0.2, 0.7), hue=hue)
    inner = random_color(rng, (0.35, 0.65), (0.5, 0.85), hue=hue - 0.02)
    return np.stack([ground, dark, inner])


def sample_animal(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["leopard", "cheetah", "zebra", "giraffe", "snake", "croc", "ermine"],
        p=[0.2, 0.15, 0.15, 0.15, 0.13, 0.1, 0.12],
    )
    return {
        "kind": kind,
        "palette": _animal_palette(rng, kind),
        "size": rng.uniform(
            *{"snake": (4, 10), "leopard": (14, 32)}.get(kind, (9, 26))
        ),
        "cells": cell_table(rng, 6),
        "sharp": rng.uniform(0.6, 2.0),
        "stretch": rng.uniform(1.0, 1.6),
        "blotch": rng.uniform(12, 40),
        "depth": rng.uniform(1.0, 4.0),
    }


def _leopard(spec, u, v, pixel):
    size, palette = np.float32(spec["size"]), spec["palette"]
    u, v = domain_warp(u, v, spec["size"] * 0.5, spec["size"] * 0.05, spec["noise"], 2)
    out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
    for layer, shift in enumerate((0.0, 0.5)):
        x, y = u / size + shift, v / size + shift * 1.3
        i, j = np.floor(x), np.floor(y)
        cell = per_cell(i + 7 * layer, j, spec["cells"])
        dx = x - i - 0.5 - 0.2 * (cell[..., 0] - 0.5)
        dy = y - j - 0.5 - 0.2 * (cell[..., 1] - 0.5)
        r, phi = np.hypot(dx, dy) * size, np.arctan2(dy, dx)
        rosette = spec["kind"] == "leopard" and layer == 0
        radius = size * (
            0.24 + 0.08 * cell[..., 2] if rosette else 0.06 + 0.08 * cell[..., 2]
        )
        radius = radius * (1 + 0.18 * np.sin(3 * phi + 6 * cell[..., 3]))
        if rosette:
            mix(out, palette[2], aa(radius - r, pixel))
            # A ring broken into 3-5 thick, uneven arcs.
            arcs = np.floor(3 + 3 * cell[..., 5])
            thick = size * 0.05 * (1 + 0.5 * np.sin(5 * phi + 9 * cell[..., 4]))
            gaps = np.sin(arcs * phi + 9 * cell[..., 5]) + 0.4
            ring = aa(thick - np.abs(r - radius), pixel) * aa(gaps * r * 0.3, pixel)
            mix(out, palette[1], ring)
        else:
            present = (cell[..., 4] < 0.8).astype(np.float32)
            mix(out, palette[1], aa(radius - r, pixel) * present)
    return out


def _zebra(spec, u, v, pixel):
    size, table, palette = spec["size"], spec["noise"], spec["palette"]
    # Roughly parallel stripes that bend, taper and fork.
    bend = fractal_noise(u / np.float32(spec["stretch"] * 3), v, size * 3, table, 2)
    t = v + np.float32(size * 0.9) * bend
    fork = fractal_noise(u, v, size * 1.2, table, 2)
    z = np.sin(t * (TAU / np.float32(size))) + 0.45 * fork
    out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
    return mix(out, palette[1], aa(z * np.float32(size / 6.3), pixel))


def _cells_print(spec, u, v, pixel):
    """Giraffe patches, croc and snake scales: Voronoi cells of a lattice."""
    kind, size, palette = spec["kind"], spec["size"], spec["palette"]
    if kind == "giraffe":
        u, v = domain_warp(u, v, size * 0.7, size * 0.12, spec["noise"], 2)
    x, y = u / np.float32(size * spec["stretch"]), v / np.float32(size)
    jitter, stagger = (0.15, 0.5) if kind == "snake" else (0.9, 0.0)
    f1, f2, value, px, py = voronoi(x, y, spec["cells"], jitter, stagger)
    edge = (f2 - f1) * np.float32(size * 0.5)
    if kind == "giraffe":
        width = np.float32(size * 0.06 * spec["sharp"])
        inner = colour_ramp(np.clip(edge / np.float32(size * 0.3), 0, 1), palette[1:])
        apply_shading(inner, 0.85 + 0.3 * value)
        return mix(inner, palette[0], 1 - aa(edge - width, pixel))
    if kind == "snake":
        blotch = fractal_noise(
            px * np.float32(size),
            py * np.float32(size),
            spec["blotch"],
            spec["noise"],
            2,
        )
        out = colour_ramp(
            np.clip(0.5 + 0.6 * blotch * spec["sharp"], 0, 1), palette[[0, 2, 1]]
        )
        height = np.sqrt(np.clip(edge / np.float32(size * 0.35), 0, 1)) - 0.4 * (y - py)
    else:
        out = colour_ramp(0.3 + 0.5 * value, palette[[1, 0]])
        height = np.sqrt(np.clip(edge / np.float32(size * 0.25), 0, 1))
    return apply_shading(
        out, relief(height, pixel, spec["depth"], spec["light"]) * (0.7 + 0.3 * height)
    )


def _ermine(spec, u, v, pixel):
    size, palette = spec["size"] * 1.6, spec["palette"]
    y = v / np.float32(size * 1.25)
    j = np.floor(y)
    x = u / np.float32(size) + np.float32(0.5) * (j % 2)
    lx, ly = (x - np.floor(x) - 0.5) * size, (y - j - 0.5) * size * 1.25
    s = np.float32(size * 0.6)
    # The tail: a wedge widening downwards, its hem cut into three points.
    half = (ly + 0.1 * s) * 0.45
    hem = 0.35 * s - 0.08 * s * np.abs(np.sin(lx * np.float32(np.pi * 1.5) / s))
    tail = np.minimum(np.minimum(half - np.abs(lx), hem - ly), ly + 0.1 * s)
    dots = np.full(u.shape, -9.0, np.float32)
    for cx, cy in ((0.0, -0.3), (-0.13, -0.2), (0.13, -0.2)):
        dots = np.maximum(dots, 0.065 * s - np.hypot(lx - cx * s, ly - cy * s))
    out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
    return mix(out, palette[1], aa(np.maximum(tail, dots), pixel))


def render_animal(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    kind = spec["kind"]
    if kind in ("leopard", "cheetah"):
        return _leopard(spec, u, v, pixel)
    if kind == "zebra":
        return _zebra(spec, u, v, pixel)
    if kind == "ermine":
        return _ermine(spec, u, v, pixel)
    return _cells_print(spec, u, v, pixel)


# === Floral and foliage: leaf cover, tropical prints, flowers, small prints ===


def sample_floral(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["foliage", "tropical", "flowers", "printed"], p=[0.35, 0.2, 0.3, 0.15]
    )
    natural = rng.random() < 0.7
    if natural:
        greens = [
            natural_colour(rng, (0.2, 0.42), (0.2, 0.75), (0.35, 0.85))
            for _ in range(3)
        ]
    else:
        greens = list(random_palette(rng, 3, 0.1))
    spec = {
        "kind": kind,
        "leaves": np.stack(greens),
        "ground": random_color(
            rng, (0.02, 0.25), (0.2, 0.8), hue=rng.uniform(0.2, 0.45)
        )
        if kind == "foliage"
        else random_color(rng),
        "flowers": random_palette(rng, 3, 0.2),
        "size": rng.uniform(10, 30) if kind != "tropical" else rng.uniform(22, 50),
        "width": rng.uniform(0.2, 0.6),
        "petals": int(rng.integers(4, 9)),
        "petal_shape": rng.uniform(0.2, 0.7),
        "layers": int(rng.integers(2, 5)),
        "shaded": kind == "foliage" or (kind == "flowers" and rng.random() < 0.6),
        "cells": cell_table(rng, 6),
    }
    if kind == "printed":
        spec["motif"] = motifs.sample_floral(rng)
        spec["motif"]["angle"] = 0.0
    return spec


def _leaf_layer(out, spec, u, v, pixel, layer, darken):
    size = np.float32(spec["size"])
    x, y = u / size + np.float32(0.37 * layer), v / size + np.float32(0.61 * layer)
    i, j = np.floor(x), np.floor(y)
    cell = per_cell(i + 5 * layer, j + 3 * layer, spec["cells"])
    angle = cell[..., 2] * TAU
    length = np.float32(0.34) + np.float32(0.14) * cell[..., 3]
    dx, dy = x - i - 0.4 - 0.2 * cell[..., 0], y - j - 0.4 - 0.2 * cell[..., 1]
    cos, sin = np.cos(angle), np.sin(angle)
    a = (dx * cos + dy * sin) / length
    b = (dy * cos - dx * sin) / length
    half = np.float32(spec["width"]) * np.clip(1 - a * a, 0, 1) ** 0.7 * (1 - 0.3 * a)
    scale = length * size
    cover = aa((half - np.abs(b)) * scale * 0.8, pixel) * (np.abs(a) < 1)
    leaves = spec["leaves"]
    paint = leaves[(cell[..., 4] * len(leaves)).astype(np.int64)]
    tone = (0.8 + 0.4 * cell[..., 5]) * darken
    vein = aa(np.float32(0.45) - np.abs(b) * scale, pixel) * (np.abs(a) < 0.9)
    if spec["shaded"]:
        tone = (
            tone
            * (1 - 0.22 * np.sign(b) - 0.15 * a)
            * (1 - 0.35 * (np.abs(b) / np.maximum(half, 1e-3)) ** 2)
        )
        ribs = bands((a * 3 - np.abs(b) * 4) * scale, scale * 0.9, 0.4, pixel)
        tone = tone * (1 - 0.12 * ribs * (np.abs(b) < half))
    tone = tone * (1 + 0.25 * vein)
    out += (paint * tone[..., None] - out) * cover[..., None]
    return out


def _flower_layer(out, spec, u, v, pixel, layer):
    size = np.float32(spec["size"] * 1.3)
    x, y = u / size + np.float32(0.5 * layer), v / size + np.float32(0.3 * layer)
    i, j = np.floor(x), np.floor(y)
    cell = per_cell(i + 9 * layer, j + 1, spec["cells"])
    radius = np.float32(0.22) + np.float32(0.16) * cell[..., 3]
    dx = x - i - 0.5 - (0.44 - radius) * (cell[..., 0] - 0.5) * 2
    dy = y - j - 0.5 - (0.44 - radius) * (cell[..., 1] - 0.5) * 2
    r, phi = np.hypot(dx, dy), np.arctan2(dy, dx) + cell[..., 2] * TAU
    n, shape = spec["petals"], np.float32(spec["petal_shape"])
    petal = np.abs(np.cos(np.float32(n / 2) * phi))
    outline = radius * (shape + (1 - shape) * petal)
    flowers = spec["flowers"]
    paint = flowers[(cell[..., 4] * 2).astype(np.int64)]
    present = cell[..., 5] < 0.85
    cover = aa((outline - r) * size, pixel) * present
    if spec["shaded"]:
        tone = 0.55 + 0.45 * r / radius + 0.25 * (petal - 1)
        paint = paint * np.clip(tone, 0.2, 1.3)[..., None]
    out += (paint - out) * cover[..., None]
    heart = aa((radius * 0.22 - r) * size, pixel) * present
    return mix(out, flowers[2], heart)


def render_floral(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    kind = spec["kind"]
    if kind == "printed":
        return motifs.render_floral(spec["motif"], u, v, pixel)
    out = np.broadcast_to(spec["ground"], (*u.shape, 3)).copy()
    if kind == "foliage":
        mottle = fractal_noise(u, v, spec["size"] * 0.6, spec["noise"], 2)
        apply_shading(out, np.clip(1 + 0.4 * mottle, 0.3, 2))
    layers = spec["layers"] if kind != "flowers" else 2
    for layer in range(layers):
        darken = 0.65 + 0.35 * (layer + 1) / layers if spec["shaded"] else 1.0
        if kind != "flowers" or spec["shaded"] or layer == 0:
            _leaf_layer(out, spec, u, v, pixel, layer, darken)
    if kind == "flowers":
        for layer in range(2):
            _flower_layer(out, spec, u, v, pixel, layer)
    return out
