"""Product photos drawn wide: the training scenes of the photo segmenter.

A segmenter trained on the catalogue's scenes (`scenes.sample_item`) learns
their look; one that must hold on photos drawn by other hands is trained on
scenes that vary more (domain randomisation):

* outfits with skirts, tanks (sleeveless tops), open and closed jackets,
  dresses, trousers and shorts, the product any of them; optionally
  (`tucked`) tops that end at the waist over high-waisted trousers;
* the product in one of the pattern families or, given `textures`, in a
  real texture; the styling garments mostly plain, sometimes patterned, so
  that "the patterned one" is not what a garment class means;
* models with every skin tone and hair colour, long hair worn in front;
* light: each garment shaded as a cylinder, a light from one side, a floor
  shadow, a vignette; framings from head-to-feet to head-to-hips; JPEG
  compression of any quality.

`make_product_photos` draws them with pixel-exact 16-class masks.
"""

import io
import numbers
from typing import Any

import numpy as np
from PIL import Image

from keras_patterns.datasets.synthetic import figure
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.patterns import NOISE_GRID
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.scenes import HAIR_COLORS
from keras_patterns.datasets.synthetic.scenes import ID
from keras_patterns.datasets.synthetic.scenes import SKIN_TONES
from keras_patterns.datasets.synthetic.scenes import VIEWS
from keras_patterns.datasets.synthetic.scenes import Item
from keras_patterns.datasets.synthetic.scenes import category_of
from keras_patterns.datasets.synthetic.scenes import make_garment
from keras_patterns.datasets.synthetic.scenes import render_view
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_size

WIDE_OUTFITS = (
    ("dress",),
    ("dress", "footwear"),
    ("outer", "dress", "footwear"),
    ("top", "pants", "footwear"),
    ("top", "skirt", "footwear"),
    ("outer", "top", "pants", "footwear"),
    ("outer", "top", "skirt", "footwear"),
    ("skirt", "top", "footwear"),
    ("pants", "top", "footwear"),
    ("pants", "top"),
    ("skirt", "top"),
    ("outer", "top", "pants"),
)
"""Garment sets; the first garment is the product, the others are styling."""
GARMENT_IDS = tuple(ID[name] for name in ("top", "skirt", "dress", "outer", "pants"))


def _fabric(rng, family, textures):
    """A pattern family's fabric, or (given textures, a third of the time) a
    real texture tiled at a random zoom."""
    if textures is not None and len(textures) and rng.random() < 0.35:
        image = textures[rng.integers(len(textures))]
        noise = rng.random((NOISE_GRID, NOISE_GRID)).astype(np.float32)
        return {"image": image, "zoom": float(rng.uniform(0.5, 1.6)), "noise": noise}
    return None  # make_garment draws the family's fabric


def sample_product_item(
    rng: np.random.Generator,
    family: int | None = None,
    textures: np.ndarray | None = None,
    tucked: float = 0.0,
) -> Item:
    """Draws one product and the model wearing it, with the wide look.

    Args:
        rng: a `numpy.random.Generator`.
        family: the product's pattern family (index); random if `None`.
        textures: optional uint8 `(N, S, S, 3)` real textures for fabrics.
        tucked: the share of items whose top ends at the waist (short or
            tucked in) and whose trousers rise to it. At 0 (the default) no
            random number is drawn for it, so items are those drawn before
            the option existed.

    Returns:
        An `Item`.
    """
    outfit = WIDE_OUTFITS[rng.integers(len(WIDE_OUTFITS))]
    family = int(rng.integers(1, len(PATTERN_FAMILIES)) if family is None else family)
    product = make_garment(outfit[0], family, rng, _fabric(rng, family, textures))
    if outfit[0] == "outer" and rng.random() < 0.45:  # a closed jacket
        product.style["gap"] = float(rng.uniform(0.0, 0.006))
    if outfit[0] == "top" and rng.random() < 0.35:  # a tank
        product.style["sleeve"] = 0.0
    garments = [product]
    for name in outfit[1:]:
        patterned = rng.random() < 0.2
        other = int(rng.integers(1, len(PATTERN_FAMILIES))) if patterned else 0
        fabric = _fabric(rng, other, textures) if patterned else None
        garments.append(make_garment(name, other, rng, fabric))
    if tucked and rng.random() < tucked:
        for garment in garments:
            if garment.name == "top":
                garment.style["length"] = float(rng.uniform(0.41, 0.47))
            if garment.name == "pants":
                garment.style["rise"] = float(rng.uniform(-0.01, 0.03))
    women = "dress" in outfit or "skirt" in outfit or rng.random() < 0.6
    gender = "WOMEN" if women else "MEN"
    body = figure.Body.sample(rng)
    if rng.random() < 0.3:
        body = body.__class__(**{**body.__dict__, "hair": "front"})
    upper = outfit[0] in ("top", "outer", "dress") and rng.random() < 0.3
    light = random_color(rng, (0.6, 0.99), (0.0, 0.3))
    return Item(
        family=family,
        garments=garments,
        body=body,
        skin=SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.85, 1.1),
        hair=HAIR_COLORS[rng.integers(len(HAIR_COLORS))] * rng.uniform(0.8, 1.3),
        background=(light, light * rng.uniform(0.7, 1.05)),
        framing="upper" if upper else "full",
        gender=gender,
        category=category_of(gender, outfit[0], garments[0].style, rng),
        accessories={
            "belt": "pants" in outfit and rng.random() < 0.15,
            "bag": rng.random() < 0.1,
            "color": random_color(rng, (0.1, 0.6), (0.2, 0.7)),
        },
    )


def _row_extent(mask):
    """Each row's left and right edge of `mask`, and whether it has any."""
    width = mask.shape[1]
    any_ = mask.any(axis=1)
    left = np.argmax(mask, axis=1)
    right = width - np.argmax(mask[:, ::-1], axis=1)
    return left, right, any_


def relight(
    image: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The photo with the wide look's light: garments shaded as cylinders,
    a side light, a floor shadow and a vignette.

    Args:
        image: float32 `(H, W, 3)` in [0, 1].
        labels: the photo's 16-class label map.
        rng: a `numpy.random.Generator`.

    Returns:
        The relit float32 image.
    """
    height, width = labels.shape
    xx = np.arange(width, dtype=np.float32)[None, :]
    shade = np.ones((height, width), np.float32)
    depth = rng.uniform(0.05, 0.35)
    for value in GARMENT_IDS + (ID["skin"],):
        mask = labels == value
        if not mask.any():
            continue
        left, right, rows = _row_extent(mask)
        centre = (left + right)[:, None] / 2.0
        half = np.maximum((right - left)[:, None] / 2.0, 1.0)
        across = np.clip((xx - centre) / half, -1, 1)
        shade = np.where(mask & rows[:, None], 1.0 - depth * across**2, shade)
    side = 1.0 + rng.uniform(-0.15, 0.15) * (xx / width - 0.5)
    person = labels != ID["background"]
    floor = np.zeros((height, width), bool)
    if person.any():
        rows = np.flatnonzero(person.any(axis=1))
        cols = np.flatnonzero(person.any(axis=0))
        cy, cx = rows[-1], (cols[0] + cols[-1]) / 2
        ry, rx = max(height * 0.02, 1.0), max((cols[-1] - cols[0]) * 0.6, 1.0)
        yy = np.arange(height, dtype=np.float32)[:, None]
        floor = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1.0
    shade = np.where(floor & ~person, shade * rng.uniform(0.75, 0.92), shade)
    yy = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    vignette = 1.0 - rng.uniform(0.0, 0.15) * ((xx / width * 2 - 1) ** 2 + yy**2) / 2
    return image * (shade * side * vignette)[..., None]


def render_product_view(
    item: Item, rng: np.random.Generator, size: Size = (384, 288), view: str = "front"
) -> tuple[np.ndarray, np.ndarray]:
    """One photograph of `item` with the wide look, and its label map.

    Args:
        item: an `Item` from `sample_product_item`.
        rng: a `numpy.random.Generator`.
        size: `(height, width)` in pixels.
        view: one of `scenes.VIEWS`.

    Returns:
        `(image, labels)`: uint8 `(H, W, 3)` and uint8 `(H, W)`.
    """
    image, labels = render_view(item, rng, size, view)
    lit = relight(image.astype(np.float32) / 255.0, labels, rng)
    out = np.clip(lit * 255.0 + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(out).save(buffer, format="JPEG", quality=int(rng.integers(55, 96)))
    return np.asarray(Image.open(buffer).convert("RGB")), labels


def make_product_photos(
    n: int,
    image_size: Size = (384, 288),
    seed: int = 0,
    textures: np.ndarray | None = None,
    tucked: float = 0.0,
) -> dict[str, Any]:
    """Draws `n` product photos with the wide look, with masks.

    Args:
        n: number of photos.
        image_size: `(height, width)`, both at least 16.
        seed: random seed; photo `i` is the same whatever `n` is.
        textures: optional uint8 `(N, S, S, 3)` real textures, some
            garments' fabric.
        tucked: the share of photos whose top ends at the waist
            (`sample_product_item`).

    Returns:
        A dict with `images` uint8 `(n, H, W, 3)`, `masks` uint8 `(n, H, W)`
        (16-class In-shop ids, skirts included), `pattern` `(n,)` (the
        product's family, an index into `PATTERN_FAMILIES`) and `garment`
        `(n,)` (the product's class).

    Example:

    >>> from keras_patterns.datasets.synthetic.product_photos import (
    ...     make_product_photos)
    >>> data = make_product_photos(2, image_size=(96, 72))
    >>> data["images"].shape, data["masks"].shape
    ((2, 96, 72, 3), (2, 96, 72))
    """
    n = check_int(n, "n")
    image_size = check_size(image_size, minimum=16)
    if not (isinstance(tucked, numbers.Real) and 0 <= tucked <= 1):
        raise ValueError(
            f'"tucked" must be a share between 0 and 1. Received: tucked={tucked!r}'
        )
    images = np.empty((n, *image_size, 3), np.uint8)
    masks = np.empty((n, *image_size), np.uint8)
    patterns, garments = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i, 7])
        item = sample_product_item(rng, textures=textures, tucked=tucked)
        view = VIEWS[int(rng.choice([0, 0, 0, 1, 3]))]  # mostly front views
        images[i], masks[i] = render_product_view(item, rng, image_size, view)
        patterns.append(item.family)
        garments.append(item.garments[0].name)
    return {
        "images": images,
        "masks": masks,
        "pattern": np.array(patterns, np.int64),
        "garment": np.array(garments),
    }
