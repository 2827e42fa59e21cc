"""Geometric texture families: stripes, checks and grids, dots, wavy."""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic.drawing import aa
from keras_patterns.datasets.synthetic.drawing import bands
from keras_patterns.datasets.synthetic.drawing import mix
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.patterns import render_pattern
from keras_patterns.datasets.synthetic.patterns import sample_pattern
from keras_patterns.datasets.synthetic.textures.tools import TAU
from keras_patterns.datasets.synthetic.textures.tools import apply_shading
from keras_patterns.datasets.synthetic.textures.tools import cell_table
from keras_patterns.datasets.synthetic.textures.tools import colour_ramp
from keras_patterns.datasets.synthetic.textures.tools import fractal_noise
from keras_patterns.datasets.synthetic.textures.tools import paint_bands
from keras_patterns.datasets.synthetic.textures.tools import per_cell
from keras_patterns.datasets.synthetic.textures.tools import random_palette
from keras_patterns.datasets.synthetic.textures.tools import relief
from keras_patterns.datasets.synthetic.textures.tools import sample_bands

# === Stripes: regular, irregular, pinstripes, shaded (metallic) bands ===


def sample_stripes(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["regular", "irregular", "pinstripe", "shaded"], p=[0.35, 0.25, 0.15, 0.25]
    )
    spec = sample_bands(rng, rng.uniform(8, 32), kind)
    spec["kind"] = kind
    if kind == "shaded" or rng.random() < 0.15:
        spec["profile_amount"] = rng.uniform(0.25, 0.7)
    spec["wobble"] = rng.uniform(0.0, 0.25) if rng.random() < 0.4 else 0.0
    return spec


def render_stripes(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    t = v
    if spec["wobble"]:
        t = v + np.float32(spec["wobble"]) * fractal_noise(u, v, 24.0, spec["noise"], 2)
    return paint_bands(spec, t, u, v, pixel)


# === Checks and grids: tiles, lattices, gingham, windowpane, graph, boards ===


def sample_checks(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["tiles", "lattice", "gingham", "windowpane", "graph", "checkerboard", "plaid"],
        p=[0.24, 0.14, 0.14, 0.12, 0.1, 0.14, 0.12],
    )
    spec = {
        "kind": kind,
        "palette": random_palette(rng, 3, 0.2),
        "period": rng.uniform(6, 30),
        "line": rng.uniform(0.6, 2.5),
        "grain": rng.uniform(0.0, 0.08),
    }
    if kind == "tiles":
        spec.update(
            period=rng.uniform(10, 40),
            aspect=rng.choice([1.0, 1.0, 1.0, 2.0, 0.5, 1.5]),
            stagger=0.5 if rng.random() < 0.2 else 0.0,
            line=rng.uniform(0.6, 3.5),
            colors=int(rng.integers(1, 4)),
            variation=rng.uniform(0.0, 0.25),
            gradient=rng.uniform(0.0, 0.5),
            bevel=rng.uniform(1.0, 5.0) if rng.random() < 0.6 else 0.0,
            cells=cell_table(rng, 4),
        )
    elif kind == "lattice":
        spec.update(
            slant=rng.uniform(np.pi / 6, np.pi / 3),
            filled=rng.random() < 0.6,
            lines=rng.random() < 0.7,
        )
    elif kind == "graph":
        spec["period"] = rng.uniform(3.5, 9)
        spec["major"] = int(rng.integers(4, 6))
        spec["palette"][0] = random_color(rng, (0.85, 1.0), (0.0, 0.15))
    elif kind == "gingham":
        spec["palette"][0] = random_color(rng, (0.8, 1.0), (0.0, 0.2))
        spec["palette"][1] = random_color(rng, (0.1, 0.6), (0.3, 1.0))
    elif kind == "plaid":
        spec["plaid"] = sample_pattern(
            rng.choice(["plaid", "plaid", "houndstooth"]), rng
        )
        spec["plaid"].update(angle=0.0, offset=np.zeros(2))
    return spec


def _render_tiles(spec, u, v, pixel):
    width, height = spec["period"] * spec["aspect"], spec["period"]
    y = v / np.float32(height)
    j = np.floor(y)
    x = u / np.float32(width) + np.float32(spec["stagger"]) * j
    i = np.floor(x)
    lx, ly = (x - i) * np.float32(width), (y - j) * np.float32(height)
    inside = np.minimum(np.minimum(lx, width - lx), np.minimum(ly, height - ly))
    inside = inside - np.float32(spec["line"] / 2)
    cell = per_cell(i, j, spec["cells"])
    palette = spec["palette"]
    colors = palette[1 + (cell[..., 0] * spec["colors"]).astype(np.int64) % 2]
    tone = 1 + np.float32(spec["variation"]) * (cell[..., 1] - 0.5) * 2
    ramp = (cell[..., 2] - 0.5) * (lx / width - 0.5) + (cell[..., 3] - 0.5) * (
        ly / height - 0.5
    )
    tone = tone + np.float32(spec["gradient"]) * ramp
    if spec["bevel"]:
        lift = np.clip(inside / np.float32(spec["bevel"]), 0.0, 1.0)
        tone = tone * relief(lift, pixel, spec["bevel"], spec["light"], 0.8)
    out = colors * tone[..., None]
    return mix(out, palette[0], 1 - aa(inside, pixel))


def render_checks(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    kind, palette, p, line = spec["kind"], spec["palette"], spec["period"], spec["line"]
    if kind == "tiles":
        out = _render_tiles(spec, u, v, pixel)
    elif kind == "plaid":
        out = render_pattern(spec["plaid"], u, v, pixel)
    elif kind == "lattice":
        cos, sin = np.float32(np.cos(spec["slant"])), np.float32(np.sin(spec["slant"]))
        a, b = u * cos + v * sin, u * cos - v * sin
        out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
        if spec["filled"]:
            ca, cb = bands(a, 2 * p, p, pixel), bands(b, 2 * p, p, pixel)
            mix(out, palette[2], ca + cb - 2 * ca * cb)
        if spec["lines"] or not spec["filled"]:
            mix(
                out,
                palette[1],
                np.maximum(bands(a, p, line, pixel), bands(b, p, line, pixel)),
            )
    else:
        out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
        if kind == "gingham":
            a, b = bands(u, p, p / 2, pixel), bands(v, p, p / 2, pixel)
            mix(out, (palette[0] + palette[1]) / 2, np.clip(a + b, 0, 1))
            mix(out, palette[1], a * b)
        elif kind == "checkerboard":
            a, b = bands(u, 2 * p, p, pixel), bands(v, 2 * p, p, pixel)
            mix(out, palette[1], a + b - 2 * a * b)
        elif kind == "windowpane":
            mix(
                out,
                palette[1],
                np.maximum(bands(u, p, line, pixel), bands(v, p, line, pixel)),
            )
            across = np.maximum(
                bands(u, p, line, pixel, p / 2), bands(v, p, line, pixel, p / 2)
            )
            mix(out, palette[2], across * float(line < 1.6))
        else:
            minor = np.maximum(bands(u, p, 0.6, pixel), bands(v, p, 0.6, pixel))
            big = p * spec["major"]
            major = np.maximum(bands(u, big, 1.4, pixel), bands(v, big, 1.4, pixel))
            mix(out, palette[1], 0.6 * minor)
            mix(out, palette[1], major)
    if spec["grain"]:
        apply_shading(
            out,
            1 + np.float32(spec["grain"]) * fractal_noise(u, v, 3.0, spec["noise"], 2),
        )
    return out


# === Dots: grids, scattered, rings, two sizes, beads ===


def sample_dots(rng: np.random.Generator) -> dict[str, Any]:
    layout = rng.choice(["grid", "hex", "random"], p=[0.3, 0.3, 0.4])
    scattered = layout == "random"
    return {
        "kind": layout,
        "palette": random_palette(rng, int(rng.integers(2, 5)), 0.22),
        "period": rng.uniform(7, 28),
        "radius": rng.uniform(0.12, 0.36),
        "jitter": rng.uniform(0.2, 0.5) if scattered else 0.0,
        "spread": rng.uniform(0.2, 0.8) if scattered else rng.uniform(0.0, 0.1),
        "density": rng.uniform(0.55, 1.0) if scattered else 1.0,
        "style": rng.choice(["flat", "ring", "shaded"], p=[0.6, 0.2, 0.2]),
        "ring": rng.uniform(0.2, 0.5),
        "multicolor": rng.random() < 0.35,
        "second": rng.uniform(0.3, 0.6) if rng.random() < 0.35 else 0.0,
        "cells": cell_table(rng, 5),
    }


def _dot_layer(out, spec, u, v, pixel, period, radius, color):
    y = v / np.float32(period)
    j = np.floor(y)
    x = u / np.float32(period) + (
        np.float32(0.5) * (j % 2) if spec["kind"] == "hex" else 0
    )
    i = np.floor(x)
    cell = per_cell(i, j, spec["cells"])
    jitter = np.float32(spec["jitter"])
    r = radius * (1 + np.float32(spec["spread"]) * (cell[..., 2] - 0.5) * 2)
    r = np.minimum(r, 0.48 - jitter / 2)
    dx = x - i - 0.5 - jitter * (cell[..., 0] - 0.5)
    dy = y - j - 0.5 - jitter * (cell[..., 1] - 0.5)
    d = np.hypot(dx, dy) * np.float32(period)
    rc, r = r, r * np.float32(period)
    if spec["style"] == "ring":
        half = r * np.float32(spec["ring"] / 2)
        cover = aa(half - np.abs(d - r + half), pixel)
    else:
        cover = aa(r - d, pixel)
    cover = cover * (cell[..., 4] < spec["density"])
    palette = spec["palette"]
    if color is None:
        pick = 1 + (cell[..., 3] * (len(palette) - 1)).astype(np.int64)
        paint = (
            palette[pick]
            if spec["multicolor"]
            else np.broadcast_to(palette[1], out.shape)
        )
    else:
        paint = np.broadcast_to(color, out.shape)
    if spec["style"] == "shaded":
        depth = np.sqrt(np.clip(1 - (d / np.maximum(r, 1e-3)) ** 2, 0, 1))
        glint = np.exp(
            -((dx + 0.35 * rc) ** 2 + (dy + 0.35 * rc) ** 2) / (0.3 * rc) ** 2
        )
        paint = paint * (0.45 + 0.55 * depth)[..., None] + (0.6 * glint)[..., None]
    out += (paint - out) * cover[..., None]
    return out


def render_dots(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    palette, period = spec["palette"], spec["period"]
    out = np.broadcast_to(palette[0], (*u.shape, 3)).copy()
    if spec["second"]:
        small = palette[-1] if len(palette) > 2 else palette[1]
        shift = np.float32(period * 0.5)
        _dot_layer(
            out,
            spec,
            u + shift,
            v + shift,
            pixel,
            period,
            spec["radius"] * spec["second"],
            small,
        )
    return _dot_layer(out, spec, u, v, pixel, period, spec["radius"], None)


# === Wavy: sine and zigzag waves, flowing bands, ripples, moire ===


def sample_wavy(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(["sine", "flow", "ripple", "moire"], p=[0.35, 0.3, 0.15, 0.2])
    period = rng.uniform(4, 12) if rng.random() < 0.4 else rng.uniform(10, 36)
    band = rng.choice(["regular", "irregular", "pinstripe"], p=[0.6, 0.2, 0.2])
    spec = sample_bands(rng, period, band)
    wavelength = period * rng.uniform(2.5, 10)
    spec.update(
        kind=kind,
        period=period,
        wavelength=wavelength,
        amplitude=wavelength * rng.uniform(0.08, 0.35),
        harmonic=rng.uniform(0.0, 0.5),
        sharp=rng.uniform(0.1, 0.97),
        phase=rng.uniform(0, 2 * np.pi, size=2),
        flow=rng.uniform(8, 40),
        stretch=rng.uniform(1.5, 5),
        smooth=rng.random() < 0.3,
        depth=rng.uniform(1.0, 4.0) if kind == "ripple" or rng.random() < 0.2 else 0.0,
        tilt=rng.uniform(0.04, 0.25) * rng.choice([-1, 1]),
    )
    return spec


def _wave(x, sharp):
    """A sine that sharpens towards a zigzag as `sharp` nears 1."""
    return np.arcsin(np.float32(sharp) * np.sin(x)) * np.float32(1 / np.arcsin(sharp))


def render_wavy(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    kind, p = spec["kind"], spec["period"]
    k = TAU / np.float32(spec["wavelength"])
    amplitude = np.float32(spec["amplitude"])
    if kind in ("sine", "moire"):
        t = v + amplitude * _wave(u * k + np.float32(spec["phase"][0]), spec["sharp"])
        t = t + amplitude * np.float32(spec["harmonic"]) * np.sin(
            u * (2.3 * k) + np.float32(spec["phase"][1])
        )
    elif kind == "flow":
        # Slow across the lines, so that they bend without folding into loops.
        x, y = u / np.float32(spec["stretch"]), v * np.float32(0.2)
        t = v + np.float32(spec["flow"] * 0.6) * fractal_noise(
            x, y, spec["flow"], spec["noise"], 2, 0.4
        )
    else:
        t = v + amplitude * 0.5 * fractal_noise(
            u, v * np.float32(0.5), spec["wavelength"], spec["noise"], 2
        )
        t = t + amplitude * 0.5 * np.sin(u * k + np.float32(spec["phase"][0]))
    if spec["smooth"] or spec["depth"]:
        wave = np.float32(0.5) + np.float32(0.5) * np.sin(
            t * (TAU / np.float32(spec["period"] * 2))
        )
        palette = spec["palette"]
        out = colour_ramp(wave, palette[:2] if spec["depth"] else palette)
        if spec["depth"]:
            apply_shading(out, relief(wave, pixel, spec["depth"], spec["light"]))
    else:
        out = paint_bands(spec, t, u, v, pixel * 1.5)
    if kind == "moire":
        cos, sin = np.float32(np.cos(spec["tilt"])), np.float32(np.sin(spec["tilt"]))
        t2 = (v * cos + u * sin) * np.float32(1.06)
        lines = bands(t2 + amplitude * np.sin(u * k * 0.8), p, p * 0.4, pixel)
        mix(out, spec["palette"][0], 0.7 * lines)
    return out
