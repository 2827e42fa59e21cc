"""Material texture families: wood, marble, granite and stone."""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic.drawing import aa
from keras_patterns.datasets.synthetic.drawing import luma
from keras_patterns.datasets.synthetic.drawing import mix
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.textures.tools import apply_shading
from keras_patterns.datasets.synthetic.textures.tools import cell_table
from keras_patterns.datasets.synthetic.textures.tools import colour_ramp
from keras_patterns.datasets.synthetic.textures.tools import domain_warp
from keras_patterns.datasets.synthetic.textures.tools import fractal_noise
from keras_patterns.datasets.synthetic.textures.tools import per_cell
from keras_patterns.datasets.synthetic.textures.tools import relief
from keras_patterns.datasets.synthetic.textures.tools import voronoi

# === Wood: flat-sawn arches, straight grain, end grain, knots, planks ===


def _wood_palette(rng):
    if rng.random() < 0.25:
        light = random_color(rng, (0.5, 0.95), (0.1, 0.8))
        return np.stack([light, light * rng.uniform(0.3, 0.7)])
    hue = rng.uniform(0.04, 0.12)
    grey = rng.random() < 0.15
    saturation = (0.0, 0.15) if grey else (0.25, 0.65)
    light = random_color(rng, (0.55, 0.95), saturation, hue=hue)
    dark = random_color(
        rng, (0.15, 0.55), (0.1, 0.2) if grey else (0.45, 0.85), hue=hue - 0.01
    )
    return np.stack([light, dark])


def sample_wood(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(["flat", "straight", "end", "knotty"], p=[0.35, 0.3, 0.1, 0.25])
    return {
        "kind": kind,
        "palette": _wood_palette(rng),
        "rings": rng.uniform(3.0, 14.0),
        "late": rng.uniform(1.2, 5.0),
        "contrast": rng.uniform(0.35, 1.0),
        "warp": rng.uniform(0.2, 1.5),
        "stretch": rng.uniform(4, 12),
        "depth": rng.uniform(20, 80),
        "tilt": rng.uniform(10, 40),
        "span": rng.uniform(80, 240),
        "grain": rng.uniform(0.03, 0.2),
        "plank": rng.uniform(18, 60) if rng.random() < 0.45 else 0.0,
        "board": rng.uniform(60, 240),
        "seam": rng.uniform(0.5, 1.5),
        "knots": rng.uniform(30, 90),
        "end": rng.uniform(60, 200),
        "relief": rng.uniform(0.2, 0.7) if rng.random() < 0.25 else 0.0,
        "cells": cell_table(rng, 4),
    }


def _wood_rings(spec, u, y, board):
    """Distance from the tree's axis (in rings) at plank coordinates."""
    kind, table, rings = spec["kind"], spec["noise"], np.float32(spec["rings"])
    along = u / np.float32(spec["stretch"])
    # Growth wanders slowly along the trunk and barely across it.
    wobble = fractal_noise(along, y, 24.0, table, 2, 0.4)
    r = y + np.float32(spec["warp"]) * rings * wobble
    if kind == "end":
        size = np.float32(spec["end"])
        x, yy = u / size, y / size
        i, j = np.floor(x), np.floor(yy)
        cell = per_cell(i, j, spec["cells"])
        dx, dy = x - i - 0.2 - 0.6 * cell[..., 0], yy - j - 0.2 - 0.6 * cell[..., 1]
        r = np.hypot(dx, dy * 1.2) * size + np.float32(spec["warp"] * 2) * wobble
    elif kind != "straight":
        depth = np.float32(spec["depth"]) * (1 + 0.5 * board[..., 0])
        bend = fractal_noise(along, board[..., 1] * 50, 12.0, table, 2)
        span = np.float32(spec["span"])
        # Rings around an axis every `span` across; sin keeps the folds smooth.
        across = (
            span
            / np.float32(np.pi)
            * np.sin(y * np.float32(np.pi) / span + board[..., 2] * 6)
        )
        r = np.hypot(across, depth + np.float32(spec["tilt"]) * bend)
        r = r + np.float32(spec["warp"]) * rings * wobble
    if kind == "knotty":
        size = np.float32(spec["knots"])
        x, yy = u / (size * 2), y / size
        i, j = np.floor(x), np.floor(yy)
        cell = per_cell(i, j + 11, spec["cells"])
        dx, dy = (
            (x - i - 0.3 - 0.4 * cell[..., 0]) * 2.5,
            (yy - j - 0.3 - 0.4 * cell[..., 1]) * 1.2,
        )
        bump = np.exp(-(dx * dx + dy * dy) * 40) * (cell[..., 2] < 0.7)
        r = r + bump * np.float32(4 * rings) * (1 + cell[..., 3])
        return r / rings, bump
    return r / rings, None


def render_wood(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    palette, table = spec["palette"], spec["noise"]
    plank, y, board = spec["plank"], v, None
    if plank:
        row = np.floor(v / np.float32(plank))
        y = v - row * np.float32(plank)
        shift = per_cell(row, row, spec["cells"])[..., 0] * np.float32(spec["board"])
        column = np.floor((u + shift) / np.float32(spec["board"]))
        board = per_cell(column, row, spec["cells"])
    else:
        board = np.full((*u.shape, 4), 0.5, np.float32)
    rings, knot = _wood_rings(spec, u, y, board)
    phase = rings - np.floor(rings)
    tone = phase ** np.float32(spec["late"])
    fade = np.clip(spec["rings"] / pixel / 2 - 0.8, 0, 1)
    tone = tone * fade + np.float32(1 / (1 + spec["late"])) * (1 - fade)
    tone = tone * np.float32(spec["contrast"]) + 0.25 * (board[..., 3] - 0.5)
    # Pores: streaks about 1.5 units across, faded out where pixels are larger.
    streaks = fractal_noise(u / np.float32(spec["stretch"] * 5), v, 1.5, table, 2)
    streaks = streaks * np.float32(min(1.0, 1.5 / pixel))
    if knot is not None:
        tone = tone + 0.5 * np.clip(knot * 1.6 - 0.6, 0, 1)
    out = colour_ramp(
        np.clip(tone + np.float32(spec["grain"]) * streaks, 0, 1), palette
    )
    if spec["relief"]:
        apply_shading(
            out, relief(tone + 0.2 * streaks, pixel, spec["relief"], spec["light"])
        )
    if plank:
        seam = np.minimum(y, np.float32(plank) - y)
        board_u = (u + shift) / np.float32(spec["board"])
        joint = np.abs(board_u - np.round(board_u)) * np.float32(spec["board"])
        gap = np.minimum(seam, joint) - np.float32(spec["seam"] / 2)
        mix(out, palette[1] * 0.4, 1 - aa(gap, pixel))
    return out


# === Marble, granite and stone ===


def _stone_palette(rng, n):
    """`n` stone tones of one hue family, mostly greys, sands and earths."""
    hue = rng.random() if rng.random() < 0.3 else rng.uniform(0.03, 0.14)
    tinted = rng.random() < 0.25
    colors = [
        random_color(
            rng,
            (0.1, 0.95),
            (0.2, 0.7) if tinted else (0.0, 0.35),
            hue=hue + rng.normal(0, 0.04),
        )
        for _ in range(n)
    ]
    return np.stack(sorted(colors, key=luma, reverse=rng.random() < 0.5))


def _marble_colors(rng):
    """Two close ground tones and two vein colours that stand out from them."""
    light = rng.random() < 0.6
    hue = rng.random() if rng.random() < 0.4 else rng.uniform(0.05, 0.14)
    value = (0.72, 0.97) if light else (0.05, 0.35)
    saturation = (0.0, 0.5) if rng.random() < 0.3 else (0.0, 0.2)
    ground = random_color(rng, value, saturation, hue=hue)
    second = np.clip(ground * rng.uniform(0.75, 1.1) + rng.normal(0, 0.04, 3), 0, 1)
    vein_value = (0.05, 0.45) if light else (0.65, 1.0)
    veins = [random_color(rng, vein_value, (0.0, 0.6)) for _ in range(2)]
    return np.stack([ground, second, *veins]).astype(np.float32)


def sample_stone(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["marble", "granite", "stone", "flagstone"], p=[0.4, 0.25, 0.22, 0.13]
    )
    return {
        "kind": kind,
        "palette": _marble_colors(rng) if kind == "marble" else _stone_palette(rng, 4),
        "scale": rng.uniform(25, 90),
        "turbulence": rng.uniform(1.0, 5.0),
        "vein": rng.uniform(0.03, 0.12),
        "crystal": rng.uniform(1.2, 3.0),
        "minerals": np.sort(rng.uniform(-1, 1, 3)),
        "roughness": rng.uniform(0.4, 0.6),
        "depth": rng.uniform(1, 6),
        "cells": cell_table(rng, 3),
    }


def _marble(spec, u, v, pixel):
    table, s, palette = spec["noise"], spec["scale"], spec["palette"]
    wu, wv = domain_warp(u, v, s, s * 0.1 * spec["turbulence"], table, 3)
    clouds = fractal_noise(wu, wv, s * 0.8, table, 4)
    out = colour_ramp(np.clip(0.5 + 0.35 * clouds, 0, 1), palette[:2])
    # Main veins: the zero lines of a stretched, warped noise, with a halo;
    # at least a pixel wide (the noise changes by about 1 / s per unit).
    width = np.float32(max(spec["vein"], 1.2 * pixel / s))
    main = fractal_noise(wu * np.float32(0.3), wv, s, table, 3, 0.4)
    mix(out, palette[2], 0.35 * np.exp(-((main / (width * 5)) ** 2)))
    mix(out, palette[2], 0.9 * np.exp(-((main / width) ** 2)))
    # Thin veins: the classic sine through turbulence.
    twist = fractal_noise(u, v, s, table, 3) * np.float32(spec["turbulence"])
    phase = (u + v * 0.4) * np.float32(np.pi / (s * 2)) + twist
    thin = np.float32(max(spec["vein"] * 0.6, 4 * pixel / s))
    mix(out, palette[3], 0.6 * np.exp(-((np.sin(phase) / thin) ** 2)))
    return out


def _granite(spec, u, v, pixel):
    """Angular crystals (Voronoi cells) of 2-4 minerals, with fine specks."""
    table, grain = spec["noise"], np.float32(spec["crystal"])
    _, _, value, _, _ = voronoi(u / grain, v / grain, spec["cells"], 0.9)
    mineral = (value - 0.5) * 3 + 0.4 * fractal_noise(u, v, spec["scale"], table, 2)
    mineral = mineral + 0.6 * fractal_noise(u, v, grain * 0.5, table, 1)
    out = spec["palette"][np.searchsorted(spec["minerals"], mineral)]
    specks = fractal_noise(u, v, grain * 0.4, table, 2)
    return apply_shading(out, 1 + 0.12 * np.clip(specks, -2.5, 2.5))


def render_stone(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    kind, table, palette = spec["kind"], spec["noise"], spec["palette"]
    if kind == "marble":
        return _marble(spec, u, v, pixel)
    if kind == "granite":
        return _granite(spec, u, v, pixel)
    height = fractal_noise(u, v, spec["scale"] * 0.5, table, 6, spec["roughness"])
    tone = np.clip(0.5 + 0.25 * height, 0, 1)
    if kind == "flagstone":
        size = np.float32(spec["scale"])
        f1, f2, value, _, _ = voronoi(u / size, v / size, spec["cells"], 0.9)
        crack = (f2 - f1) * size
        height = height * 0.5 + np.clip(crack / 3, 0, 1)
        tone = np.clip(tone + 0.3 * (value - 0.5), 0, 1)
    out = colour_ramp(tone, palette[:3])
    grains = fractal_noise(u, v, spec["crystal"], table, 1)
    apply_shading(out, 1 + 0.1 * grains)
    return apply_shading(out, relief(height, pixel, spec["depth"], spec["light"], 0.75))
