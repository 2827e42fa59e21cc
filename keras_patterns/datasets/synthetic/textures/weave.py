"""The weave texture family: woven and knitted cloth."""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic.drawing import aa
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.textures.tools import TAU
from keras_patterns.datasets.synthetic.textures.tools import cell_table
from keras_patterns.datasets.synthetic.textures.tools import domain_warp
from keras_patterns.datasets.synthetic.textures.tools import fractal_noise
from keras_patterns.datasets.synthetic.textures.tools import per_cell
from keras_patterns.datasets.synthetic.textures.tools import random_palette

# === Weaves: plain, burlap, twill, basketweave, herringbone, knit ===


def sample_weave(rng: np.random.Generator) -> dict[str, Any]:
    kind = rng.choice(
        ["plain", "burlap", "twill", "basket", "herringbone", "knit"],
        p=[0.14, 0.17, 0.17, 0.2, 0.12, 0.2],
    )
    if rng.random() < 0.45:
        hue = rng.uniform(0.06, 0.14)
        warp = random_color(rng, (0.45, 0.9), (0.15, 0.55), hue=hue)
        weft = (
            warp * rng.uniform(0.75, 1.1)
            if rng.random() < 0.7
            else random_color(rng, hue=hue)
        )
        palette = np.stack([warp, weft, warp * 0.25])
    else:
        palette = random_palette(rng, 3, 0.12)
        if rng.random() < 0.5:
            palette[1] = palette[0] * rng.uniform(0.7, 1.2)
        palette[2] = palette[0] * 0.2
    period = {
        "plain": (5, 12),
        "burlap": (6, 14),
        "twill": (4, 9),
        "basket": (8, 20),
        "herringbone": (4, 9),
        "knit": (10, 20),
    }[kind]
    return {
        "kind": kind,
        "palette": np.clip(palette, 0, 1).astype(np.float32),
        "period": rng.uniform(*period),
        "fill": rng.uniform(0.5, 0.8) if kind == "burlap" else rng.uniform(0.8, 0.97),
        "irregular": rng.uniform(0.15, 0.4)
        if kind == "burlap"
        else rng.uniform(0.0, 0.12),
        "over": int(rng.integers(2, 4)),
        "step": int(rng.choice([-1, 1])),
        "group": int(rng.integers(2, 4)) if rng.random() < 0.7 else 1,
        "band": int(rng.integers(4, 10)),
        "flat": kind == "basket",
        "aspect": rng.uniform(0.65, 1.0),
        "colorwork": rng.choice(
            ["solid", "rows", "motif", "heather"], p=[0.4, 0.2, 0.2, 0.2]
        ),
        "threads": cell_table(rng, 2),
    }


def _crossing(spec, i, j):
    """1 where the warp thread `i` passes over the weft thread `j`."""
    kind = spec["kind"]
    if kind in ("plain", "burlap"):
        return ((i + j) % 2).astype(np.float32)
    if kind == "basket":
        k = spec["group"]
        return ((np.floor(i / k) + np.floor(j / k)) % 2).astype(np.float32)
    step = spec["step"]
    if kind == "herringbone":
        step = np.where(np.floor(i / spec["band"]) % 2 == 0, 1.0, -1.0)
    span = spec["over"] + 2
    return (np.mod(i + step * j, span) < spec["over"]).astype(np.float32)


def _thread_shade(across, along, top, flat):
    """Brightness of a thread from its position across and along a crossing."""
    if flat:
        profile = 1 - 0.45 * across**6
    else:
        profile = np.sqrt(np.clip(1 - across * across, 0, 1))
    bulge = top * (0.8 + 0.2 * np.cos(np.float32(np.pi) * along)) + (1 - top) * (
        0.55 + 0.3 * np.abs(along)
    )
    return (0.35 + 0.65 * profile) * bulge


def _interlace(spec, u, v, pixel):
    p, table, palette = spec["period"], spec["noise"], spec["palette"]
    irregular = spec["irregular"]
    if irregular:
        u, v = domain_warp(u, v, p * 5, p * irregular * 0.5, table, 2)
    x, y = u / np.float32(p), v / np.float32(p)
    i, j = np.floor(x), np.floor(y)
    fx, fy = x - i - 0.5, y - j - 0.5
    warp_thread = per_cell(i, i * 0, spec["threads"])
    weft_thread = per_cell(j, j * 0 + 5, spec["threads"])
    fill, jitter = np.float32(spec["fill"]), np.float32(irregular)
    slub = fractal_noise(u, v, p * 3, table, 2) * jitter * 0.4
    warp_w = fill * (1 + jitter * (warp_thread[..., 0] - 0.5) + slub)
    weft_w = fill * (1 + jitter * (weft_thread[..., 0] - 0.5) - slub)
    in_warp = aa((warp_w / 2 - np.abs(fx)) * np.float32(p), pixel)
    in_weft = aa((weft_w / 2 - np.abs(fy)) * np.float32(p), pixel)
    top = _crossing(spec, i, j)
    warp_show = in_warp * (top + (1 - top) * (1 - in_weft))
    weft_show = in_weft * (1 - top * in_warp)
    # Fibres about a unit across whatever the thread size; plies twisted
    # across each thread.
    hair = np.float32(0.15 * min(1.0, 1.0 / pixel))
    fibre_a = 1 + hair * fractal_noise(u, v * np.float32(0.15), 0.8, table, 2)
    fibre_b = 1 + hair * fractal_noise(u * np.float32(0.15), v, 0.8, table, 2)
    ply = TAU / np.float32(0.45 * p)
    fibre_a *= 1 - 0.15 * np.sin((v + fx * np.float32(0.6 * p)) * ply) ** 2
    fibre_b *= 1 - 0.15 * np.sin((u + fy * np.float32(0.6 * p)) * ply) ** 2
    warp_shade = _thread_shade(2 * fx / warp_w, 2 * fy, top, spec["flat"])
    weft_shade = _thread_shade(2 * fy / weft_w, 2 * fx, 1 - top, spec["flat"])
    warp_shade *= fibre_a * (0.9 + 0.2 * warp_thread[..., 1])
    weft_shade *= fibre_b * (0.9 + 0.2 * weft_thread[..., 1])
    out = np.broadcast_to(palette[2], (*u.shape, 3)).copy()
    out += (palette[0] * warp_shade[..., None] - out) * warp_show[..., None]
    out += (palette[1] * weft_shade[..., None] - out) * weft_show[..., None]
    return out


def _stitch_colors(spec, i, j):
    palette, work = spec["palette"], spec["colorwork"]
    if work == "rows":
        pick = (np.floor(j / 3) % 2).astype(np.int64)
    elif work == "motif":
        pick = ((np.abs(np.mod(i, 8) - 4) + np.abs(np.mod(j, 8) - 4)) < 3).astype(
            np.int64
        )
    else:
        pick = np.zeros(i.shape, np.int64)
    colors = palette[pick]
    if work == "heather":
        colors = colors * (0.8 + 0.4 * per_cell(i, j, spec["threads"])[..., :1])
    return colors


def _knit(spec, u, v, pixel):
    width = np.float32(spec["period"])
    height = width * np.float32(spec["aspect"])
    x, y = u / width, v / height
    i, j0 = np.floor(x), np.floor(y)
    lx = np.abs(x - i - 0.5)
    best = np.zeros(u.shape, np.float32)
    color = np.zeros((*u.shape, 3), np.float32)
    for dj in (0.0, -1.0):
        j = j0 + dj
        ly = y - j
        # One leg of the V (the other is its mirror): an ellipse leaning in.
        dx, dy = lx - 0.24, ly - 0.62
        along = dx * 0.3 + dy * 0.954
        across = dx * 0.954 - dy * 0.3
        e = (along / 0.68) ** 2 + (across / 0.21) ** 2
        lift = np.sqrt(np.clip(1 - e, 0, 1))
        twist = 1 + 0.15 * np.sin(np.float32(TAU) * (along * 5 + across * 2))
        lift = lift * twist
        closer = lift > best
        best = np.where(closer, lift, best)
        color = np.where(closer[..., None], _stitch_colors(spec, i, j), color)
    cover = aa((best - 0.05) * width * 0.5, pixel)
    shade = (0.35 + 0.7 * best)[..., None]
    return color * shade * cover[..., None] + color * 0.2 * (1 - cover[..., None])


def render_weave(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    if spec["kind"] == "knit":
        return _knit(spec, u, v, pixel)
    return _interlace(spec, u, v, pixel)
