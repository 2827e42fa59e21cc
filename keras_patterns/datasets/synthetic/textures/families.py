"""The family table, `sample_texture`, `render_texture` and `make_texture_patches`."""

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.generator import family_ids
from keras_patterns.datasets.synthetic.swatches import check_patch_arguments
from keras_patterns.datasets.synthetic.swatches import draw_views
from keras_patterns.datasets.synthetic.swatches import view_coordinates
from keras_patterns.datasets.synthetic.textures.geometric import render_checks
from keras_patterns.datasets.synthetic.textures.geometric import render_dots
from keras_patterns.datasets.synthetic.textures.geometric import render_stripes
from keras_patterns.datasets.synthetic.textures.geometric import render_wavy
from keras_patterns.datasets.synthetic.textures.geometric import sample_checks
from keras_patterns.datasets.synthetic.textures.geometric import sample_dots
from keras_patterns.datasets.synthetic.textures.geometric import sample_stripes
from keras_patterns.datasets.synthetic.textures.geometric import sample_wavy
from keras_patterns.datasets.synthetic.textures.materials import render_stone
from keras_patterns.datasets.synthetic.textures.materials import render_wood
from keras_patterns.datasets.synthetic.textures.materials import sample_stone
from keras_patterns.datasets.synthetic.textures.materials import sample_wood
from keras_patterns.datasets.synthetic.textures.natural import render_animal
from keras_patterns.datasets.synthetic.textures.natural import render_camouflage
from keras_patterns.datasets.synthetic.textures.natural import render_floral
from keras_patterns.datasets.synthetic.textures.natural import sample_animal
from keras_patterns.datasets.synthetic.textures.natural import sample_camouflage
from keras_patterns.datasets.synthetic.textures.natural import sample_floral
from keras_patterns.datasets.synthetic.textures.tools import colour_ramp
from keras_patterns.datasets.synthetic.textures.tools import noise_table
from keras_patterns.datasets.synthetic.textures.weave import render_weave
from keras_patterns.datasets.synthetic.textures.weave import sample_weave
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# Keeps these random streams apart from make_pattern_patches' for one seed.
_SALT = 7357


# === Families, recolouring and the public API ===

_FAMILIES = {
    "stripes": (sample_stripes, render_stripes),
    "checks_grid": (sample_checks, render_checks),
    "dots": (sample_dots, render_dots),
    "wavy": (sample_wavy, render_wavy),
    "camouflage": (sample_camouflage, render_camouflage),
    "animal_print": (sample_animal, render_animal),
    "floral_foliage": (sample_floral, render_floral),
    "wood": (sample_wood, render_wood),
    "marble_granite": (sample_stone, render_stone),
    "weave": (sample_weave, render_weave),
}

TEXTURE_FAMILIES = tuple(_FAMILIES)
"""Names of the texture families; the index is the family id."""


def _hue_rotation(angle):
    """A 3x3 matrix turning RGB colours about the grey axis by `angle`."""
    cos, sin = np.cos(angle), np.sin(angle)
    k = np.full((3, 3), (1 - cos) / 3) + np.eye(3) * cos
    cross = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]) * sin / np.sqrt(3)
    return (k + cross).astype(np.float32)


def _sample_recolor(rng):
    """How the whole texture is recoloured, as photos of real ones often are."""
    draw = rng.random()
    if draw < 0.15:
        return {"matrix": _hue_rotation(rng.uniform(0.5, 2 * np.pi - 0.5)).T}
    if draw < 0.25:
        dark, light = random_color(rng, (0.0, 0.4)), random_color(rng, (0.6, 1.0))
        return {"duotone": np.stack([dark, light])}
    if draw < 0.3:
        return {"matrix": np.tile(_LUMA[:, None], (1, 3))}
    return None


def _family_name(family, name="family"):
    if isinstance(family, (int, np.integer)) and not isinstance(family, bool):
        if not 0 <= family < len(TEXTURE_FAMILIES):
            raise ValueError(
                f'"{name}" must be a name from TEXTURE_FAMILIES or an index in '
                f"[0, {len(TEXTURE_FAMILIES) - 1}]. Received: {name}={family!r}"
            )
        return TEXTURE_FAMILIES[family]
    return check_choice(family, TEXTURE_FAMILIES, name)


def sample_texture(
    family: str | int | np.integer, rng: np.random.Generator
) -> dict[str, Any]:
    """Draws the kind, colours and geometry of one texture of `family`.

    Args:
        family: a name from `TEXTURE_FAMILIES` or its index.
        rng: a `numpy.random.Generator`.

    Returns:
        A spec `dict` for `render_texture`: `family`, `kind` (the variant
        within the family), the family's colours and sizes, and `angle`,
        `offset`, `light` (the azimuth of relief lighting), `noise` (a
        `noise_table`) and `recolor` (`None`, or how three textures in ten
        are recoloured: hue turned, greyscale or duotone).

    Raises:
        ValueError: `family` is neither a known name nor a valid index.
    """
    family = _family_name(family)
    spec = _FAMILIES[family][0](rng)
    spec.update(
        family=family,
        angle=rng.uniform(0, 2 * np.pi),
        offset=rng.uniform(0, 500, size=2),
        light=rng.uniform(0, 2 * np.pi),
        noise=noise_table(rng),
        recolor=_sample_recolor(rng),
    )
    return spec


def render_texture(
    spec: dict[str, Any], u: np.ndarray, v: np.ndarray, pixel: float = 1.0
) -> np.ndarray:
    """Renders a texture spec at pattern-space coordinates.

    The coordinates are turned by `spec["angle"]` and shifted by
    `spec["offset"]`, the family paints its kind, and `spec["recolor"]`
    recolours the result (a duotone maps the render's own brightness,
    standardised, onto its two colours).

    Args:
        spec: a spec from `sample_texture`.
        u: float array `(H, W)`, horizontal pattern coordinate in pixels.
        v: float array `(H, W)`, vertical pattern coordinate in pixels.
        pixel: the size of one image pixel in pattern units, for
            anti-aliasing.

    Returns:
        float32 array `(H, W, 3)` in [0, 1].

    Example:

    >>> import numpy as np
    >>> from keras_patterns.datasets.synthetic.textures import (
    ...     render_texture, sample_texture)
    >>> spec = sample_texture("wood", np.random.default_rng(0))
    >>> v, u = np.mgrid[0:32, 0:48].astype(np.float32)
    >>> render_texture(spec, u, v).shape
    (32, 48, 3)
    """
    u, v = np.asarray(u, np.float32), np.asarray(v, np.float32)
    cos, sin = np.float32(np.cos(spec["angle"])), np.float32(np.sin(spec["angle"]))
    ru = cos * u + sin * v + np.float32(spec["offset"][0])
    rv = cos * v - sin * u + np.float32(spec["offset"][1])
    out = _FAMILIES[spec["family"]][1](spec, ru, rv, max(float(pixel), 1e-3))
    out = np.clip(out, 0.0, 1.0)
    recolor = spec.get("recolor")
    if recolor is not None and "matrix" in recolor:
        out = out @ recolor["matrix"]
    elif recolor is not None:
        # Brightness keeps its contrast whatever the texture's own colours.
        grey = out @ _LUMA
        grey = 0.5 + 0.22 * (grey - grey.mean()) / (grey.std() + 0.02)
        out = colour_ramp(grey, recolor["duotone"])
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


def _texture_ids(families):
    return family_ids(families, TEXTURE_FAMILIES, "TEXTURE_FAMILIES")


def _photograph(image, rng):
    """Lighting, exposure, blur, noise and JPEG: one camera's take on a view."""
    height, width = image.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = y / height - 0.5, x / width - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + rng.uniform(0, 0.7) * (np.cos(angle) * x + np.sin(angle) * y)
    if rng.random() < 0.3:
        cx, cy = rng.uniform(-0.5, 0.5, size=2)
        light = light + rng.uniform(0.1, 0.4) * np.exp(
            -((x - cx) ** 2 + (y - cy) ** 2) / 0.08
        )
    image = image * (light * rng.uniform(0.7, 1.2))[..., None]
    grey = image @ _LUMA
    image = grey[..., None] + (image - grey[..., None]) * np.float32(
        rng.uniform(0.6, 1.3)
    )
    image = np.clip(image, 0, 1) ** np.float32(rng.uniform(0.8, 1.25))
    if rng.random() < 0.6:
        sigma = rng.uniform(0.2, 1.2)
        image = ndimage.gaussian_filter(image, (sigma, sigma, 0), mode="nearest")
    image = image + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(
        rng.uniform(0, 0.03)
    )
    pixels = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=int(rng.integers(30, 91)))
        pixels = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    return pixels


def _texture_view(spec, size, rng, scale):
    u, v, shade = view_coordinates(size, rng, scale, True)
    angle = rng.uniform(0, 2 * np.pi)
    cu, cv = u.mean(), v.mean()
    cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    u, v = cos * (u - cu) + sin * (v - cv) + cu, cos * (v - cv) - sin * (u - cu) + cv
    image = render_texture(spec, u, v, 1.0 / scale) * shade[..., None]
    return _photograph(image, rng)


def make_texture_patches(
    n: int,
    size: Size = (64, 64),
    seed: int = 0,
    views_per_item: int = 1,
    families: Iterable[str | int] | None = None,
    scale_range: tuple[float, float] = (0.5, 2.0),
) -> dict[str, Any]:
    """Draws `n` texture patches; consecutive views share one texture.

    Each view is cut at another place of the texture, at another angle (any
    angle) and scale (+-15 %), bent by a fold, lit from another side,
    blurred, noised and, three times in ten, saved as a JPEG.

    Args:
        n: number of patches.
        size: `(height, width)`.
        seed: random seed; patch `i` is the same whatever `n` is.
        views_per_item: consecutive patches cut from the same texture.
        families: optional subset of `TEXTURE_FAMILIES` (names or indices);
            items cycle through them.
        scale_range: range of the texture's scale (2 draws it twice as
            large).

    Returns:
        A dict with `images` uint8 `(n, H, W, 3)`, `family` int `(n,)` (an
        index into `family_names`), `item_id` int `(n,)` and `family_names`
        (`TEXTURE_FAMILIES`).

    Raises:
        ValueError: an argument is out of range or names an unknown family.

    Example:

    >>> import keras_patterns as kp
    >>> data = kp.datasets.make_texture_patches(4, size=(32, 32), views_per_item=2)
    >>> data["images"].shape, data["item_id"].tolist()
    ((4, 32, 32, 3), [0, 0, 1, 1])
    """
    n, size, views_per_item = check_patch_arguments(
        n, size, views_per_item, scale_range
    )

    def render(spec, rng, base):
        return _texture_view(spec, size, rng, base * rng.uniform(0.85, 1.15))

    images, labels = draw_views(
        n,
        size,
        views_per_item,
        _texture_ids(families),
        scale_range,
        [seed, _SALT],
        sample_texture,
        render,
    )
    return {
        "images": images,
        "family": labels,
        "item_id": np.arange(n) // views_per_item,
        "family_names": TEXTURE_FAMILIES,
    }
