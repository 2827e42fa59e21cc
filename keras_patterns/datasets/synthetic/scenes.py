"""Shop-photo scenes: a figure wearing patterned garments, with its mask.

`sample_item` draws everything that stays fixed across the views of one
product (the model's body, skin and hair, the outfit, each garment's fabric,
cut and folds); `render_view` draws one photograph of it (framing, position,
stance, side squeeze, mirror, lighting, sensor noise) together with its label
map in the 16-class In-shop scheme.
"""

import dataclasses
from typing import Any

import numpy as np
from PIL import Image
from PIL import ImageDraw

from keras_patterns.datasets.synthetic import figure
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.datasets.synthetic.drawing import sample_texture
from keras_patterns.datasets.synthetic.drawing import value_noise
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.patterns import render_pattern
from keras_patterns.datasets.synthetic.patterns import sample_pattern
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.utils.typing import Size

ID = {name: i for i, name in enumerate(INSHOP_CLASSES)}
OUTFITS = (
    ("dress",),
    ("dress", "footwear"),
    ("outer", "dress"),
    ("top", "pants"),
    ("top", "pants", "footwear"),
    ("outer", "top", "pants"),
    ("pants", "top"),
    ("pants", "top", "footwear"),
)
"""Garment sets; the first garment is the product, the others are styling."""
PAINT_ORDER = ("pants", "skirt", "footwear", "top", "dress", "outer")
VIEWS = ("front", "side", "back", "full", "additional")
CATEGORIES = {
    ("WOMEN", "top"): ("Blouses_Shirts", "Tees_Tanks", "Sweaters"),
    ("MEN", "top"): ("Shirts_Polos", "Tees_Tanks", "Sweaters"),
    ("WOMEN", "dress"): ("Dresses",),
    ("WOMEN", "outer"): ("Jackets_Coats", "Cardigans"),
    ("MEN", "outer"): ("Jackets_Vests", "Suiting"),
    ("WOMEN", "pants"): ("Pants", "Denim"),
    ("WOMEN", "skirt"): ("Skirts",),
    ("MEN", "pants"): ("Pants", "Denim"),
}
SKIN_TONES = np.array(
    [
        (0.96, 0.8, 0.69),
        (0.87, 0.67, 0.53),
        (0.76, 0.55, 0.4),
        (0.55, 0.37, 0.26),
        (0.36, 0.23, 0.16),
    ],
    dtype=np.float32,
)
HAIR_COLORS = np.array(
    [
        (0.08, 0.06, 0.05),
        (0.25, 0.15, 0.08),
        (0.45, 0.3, 0.15),
        (0.8, 0.65, 0.38),
        (0.55, 0.2, 0.08),
    ],
    dtype=np.float32,
)


@dataclasses.dataclass
class Garment:
    """One garment of an outfit: its class, fabric, cut and folds.

    Attributes:
        name: the In-shop class (`"top"`, `"dress"`, `"pants"`, `"outer"`,
            `"footwear"`).
        pattern: the fabric, a spec from `sample_pattern`.
        style: the cut (length, neckline, sleeve...), read by the shapes of
            `figure.GARMENT_SHAPES`.
        scale: size of the pattern on the garment.
        fold: `(strength, wavelength, phase, shade depth)` of the folds,
            the wavelength in figure units.
    """

    name: str
    pattern: dict[str, Any]
    style: dict[str, Any]
    scale: float
    fold: tuple[float, float, float, float]


@dataclasses.dataclass
class Item:
    """One product and the model wearing it, fixed across its views.

    Attributes:
        family: index into `PATTERN_FAMILIES` of the main garment's pattern.
        garments: the outfit's garments (`Garment`); the first is the product.
        body: the model's proportions.
        skin: float32 RGB skin colour.
        hair: float32 RGB hair colour.
        background: `(top, bottom)` RGB colours of the backdrop gradient.
        framing: `"full"` (head to feet) or `"upper"` (head to hips).
        gender: `"WOMEN"` or `"MEN"`.
        category: the In-shop clothing category of the product.
        accessories: `belt` and `bag` (bools) and their `color`.
    """

    family: int
    garments: list[Garment]
    body: figure.Body
    skin: np.ndarray
    hair: np.ndarray
    background: tuple[np.ndarray, np.ndarray]
    framing: str
    gender: str
    category: str
    accessories: dict[str, Any]


def garment_style(name: str, rng: np.random.Generator) -> dict[str, Any]:
    """Draws the cut of a garment of class `name` (see `Garment.style`)."""
    if name == "top":
        return {
            "length": rng.uniform(0.5, 0.56),
            "neckline": rng.choice(["round", "v"]),
            "sleeve": rng.choice([0.0, 0.35, 0.6, 1.0]),
        }
    if name == "dress":
        return {
            "length": rng.uniform(0.6, 0.86),
            "neckline": rng.choice(["round", "v"]),
            "sleeve": rng.choice([0.0, 0.0, 0.35, 1.0]),
            "flare": rng.uniform(0.03, 0.13),
        }
    if name == "pants":
        return {
            "length": rng.choice([0.68, figure.ANKLE_Y, figure.ANKLE_Y]),
            "flare": rng.uniform(0.0, 0.035),
        }
    if name == "skirt":
        return {"length": rng.uniform(0.56, 0.86), "flare": rng.uniform(0.02, 0.14)}
    if name == "outer":
        return {
            "length": rng.uniform(0.52, 0.72),
            "gap": rng.uniform(0.012, 0.04),
            "sleeve": rng.uniform(0.85, 1.0),
        }
    return {}


def make_garment(
    name: str, family: int, rng: np.random.Generator, pattern: dict | None = None
) -> Garment:
    """A garment of class `name` in a fabric of `family` (or `pattern`)."""
    return Garment(
        name=name,
        pattern=sample_pattern(family, rng) if pattern is None else pattern,
        style=garment_style(name, rng),
        scale=rng.uniform(0.75, 1.35),
        fold=(
            rng.uniform(0.0, 0.4),
            rng.uniform(0.06, 0.2),
            rng.uniform(0, 6.3),
            rng.uniform(0.04, 0.2),
        ),
    )


def category_of(
    gender: str, name: str, style: dict[str, Any], rng: np.random.Generator
) -> str:
    """The In-shop clothing category of a garment."""
    if name == "pants" and style["length"] < 0.8:
        return "Shorts"
    return rng.choice(CATEGORIES[(gender, name)])


def sample_item(rng: np.random.Generator, family: int | None = None) -> Item:
    """Draws one product and the model wearing it.

    Args:
        rng: a `numpy.random.Generator`.
        family: the main garment's pattern family (index); random if `None`.

    Returns:
        An `Item`.
    """
    outfit = OUTFITS[rng.integers(len(OUTFITS))]
    family = int(rng.integers(len(PATTERN_FAMILIES)) if family is None else family)
    garments = [make_garment(outfit[0], family, rng)]
    for name in outfit[1:]:
        other = 0 if rng.random() < 0.6 else int(rng.integers(len(PATTERN_FAMILIES)))
        garments.append(make_garment(name, other, rng))
    gender = "WOMEN" if "dress" in outfit or rng.random() < 0.6 else "MEN"
    upper = outfit[0] in ("top", "outer", "dress") and rng.random() < 0.35
    gradient = rng.random() < 0.5
    light = random_color(rng, (0.72, 0.98), (0.0, 0.15))
    return Item(
        family=family,
        garments=garments,
        body=figure.Body.sample(rng),
        skin=SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.92, 1.05),
        hair=HAIR_COLORS[rng.integers(len(HAIR_COLORS))],
        background=(light, light * rng.uniform(0.8, 1.0) if gradient else light),
        framing="upper" if upper else "full",
        gender=gender,
        category=category_of(gender, outfit[0], garments[0].style, rng),
        accessories={
            "belt": "pants" in outfit and rng.random() < 0.2,
            "bag": rng.random() < 0.12,
            "color": random_color(rng, (0.1, 0.5), (0.2, 0.7)),
        },
    )


@dataclasses.dataclass(frozen=True)
class _Camera:
    cx: float
    top: float
    scale: float
    squeeze: float

    def points(self, shape):
        kind, data = shape
        if kind == "poly":
            sx = self.scale * self.squeeze
            return [(self.cx + x * sx, self.top + y * self.scale) for x, y in data]
        cx, cy, rx, ry = data
        x0, y0 = self.points(("poly", [(cx - rx, cy - ry)]))[0]
        x1, y1 = self.points(("poly", [(cx + rx, cy + ry)]))[0]
        return [(x0, y0), (x1, y1)]

    def paint(self, draw, shapes, value):
        for shape in shapes:
            if shape[0] == "poly":
                draw.polygon(self.points(shape), fill=value)
            else:
                draw.ellipse(self.points(shape), fill=value)


def _camera(item, view, size, rng):
    height, width = size
    # In-shop photographs frame the model tightly: full-body shots run from
    # the hair to the shoes (sometimes cropping them), zoomed shots from the
    # head to the hips.
    if item.framing == "upper":
        scale, top = height * rng.uniform(1.5, 1.75), height * rng.uniform(0.0, 0.04)
    else:
        scale, top = height * rng.uniform(0.95, 1.1), height * rng.uniform(-0.01, 0.03)
    if view == "full":
        scale *= 0.85
        top += height * 0.05
    cx = width / 2 + width * rng.normal(0, 0.04)
    return _Camera(cx, top, scale, 0.8 if view == "side" else 1.0)


def _paint_labels(item, body, camera, size, back_view):
    canvas = Image.new("L", (size[1], size[0]), ID["background"])
    draw = ImageDraw.Draw(canvas)
    garments = {g.name: g for g in item.garments}
    camera.paint(draw, figure.hair_behind(body), ID["hair"])
    skin = figure.legs(body) + figure.arms(body) + figure.torso(body)
    camera.paint(draw, skin, ID["skin"])
    for name in PAINT_ORDER:
        if name in garments:
            shapes = figure.GARMENT_SHAPES[name](body, garments[name].style)
            camera.paint(draw, shapes, ID[name])
        if name == "dress" and item.accessories["belt"]:  # over tops, under jackets
            camera.paint(draw, figure.belt(body), ID["belt"])
    if item.accessories["bag"]:
        camera.paint(draw, figure.bag(body), ID["bag"])
    camera.paint(draw, figure.hands(body), ID["skin"])
    if not back_view:
        camera.paint(draw, figure.face(), ID["face"])
    camera.paint(draw, figure.hair(body, back_view), ID["hair"])
    if not back_view:
        camera.paint(draw, figure.hair_in_front(body), ID["hair"])
    return np.asarray(canvas)


def _region_slices(mask):
    rows, cols = np.any(mask, axis=1), np.any(mask, axis=0)
    r0, r1 = np.argmax(rows), len(rows) - np.argmax(rows[::-1])
    c0, c1 = np.argmax(cols), len(cols) - np.argmax(cols[::-1])
    return slice(r0, r1), slice(c0, c1)


def _paint_garment(garment, fx, fy, camera, phase_jitter):
    strength, wavelength, phase, depth = garment.fold
    phase = phase + phase_jitter
    reference = 256.0 * garment.scale  # pattern pixels per figure unit
    # Folds displace the fabric by at most `strength` times its local period,
    # so the mapping stays monotonic: the pattern bends but never tears.
    amplitude = strength * wavelength * reference / (2 * np.pi)
    angle = 2 * np.pi * fx / wavelength + phase
    u = fx * reference + amplitude * np.sin(angle)
    v = fy * reference + 0.6 * amplitude * np.sin(angle / 1.7 + 1.0)
    if "image" in garment.pattern:  # a real texture, tiled
        rgb = sample_texture(garment.pattern["image"], u, v, garment.pattern["zoom"])
    else:
        rgb = render_pattern(garment.pattern, u, v, reference / camera.scale)
    shade = 1.0 - depth * (0.5 + 0.5 * np.cos(angle))
    return rgb * shade[..., None]


def _paint_image(item, labels, camera, rng):
    height, width = labels.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    top, bottom = item.background
    ramp = (yy / height)[..., None]
    image = top * (1 - ramp) + bottom * ramp
    garments = {ID[g.name]: g for g in item.garments}
    for value in np.unique(labels):
        mask = labels == value
        if value == ID["background"]:
            continue
        rows, cols = _region_slices(mask)
        fx = (xx[rows, cols] - camera.cx) / (camera.scale * camera.squeeze)
        fy = (yy[rows, cols] - camera.top) / camera.scale
        if value in garments:
            patch = _paint_garment(garments[value], fx, fy, camera, rng.normal(0, 0.4))
        elif value == ID["hair"]:
            strands = value_noise(
                fx * 900, fy * 120, 1.0, item.garments[0].pattern["noise"]
            )
            patch = item.hair * (0.75 + 0.45 * strands)[..., None]
        elif value in (ID["skin"], ID["face"]):
            patch = item.skin * (1.0 - 0.12 * np.abs(fx) / 0.15)[..., None]
        else:
            patch = np.broadcast_to(item.accessories["color"], (*fx.shape, 3))
        sub = mask[rows, cols]
        image[rows, cols][sub] = patch[sub]
    return image


def _paint_face_details(image, labels, camera):
    canvas = Image.new("L", labels.shape[::-1], 0)
    camera.paint(ImageDraw.Draw(canvas), figure.FACE_DETAILS, 1)
    details = (np.asarray(canvas) > 0) & (labels == ID["face"])
    image[details] = image[details] * 0.35


def render_view(
    item: Item, rng: np.random.Generator, size: Size = (256, 192), view: str = "front"
) -> tuple[np.ndarray, np.ndarray]:
    """Renders one photograph of `item` and its 16-class label map.

    Args:
        item: an `Item` from `sample_item`.
        rng: a `numpy.random.Generator` for everything that varies by view.
        size: `(height, width)` in pixels.
        view: one of `VIEWS`; `"side"` squeezes the figure, `"back"` hides
            the face, `"full"` zooms out.

    Returns:
        `(image, labels)`: uint8 `(H, W, 3)` and uint8 `(H, W)`.
    """
    camera = _camera(item, view, size, rng)
    body = item.body.posed(rng)
    labels = _paint_labels(item, body, camera, size, view == "back")
    image = _paint_image(item, labels, camera, rng)
    if view != "back":
        _paint_face_details(image, labels, camera)
    height, width = labels.shape
    direction = rng.normal(0, 1, size=2)
    ramp = (np.arange(width)[None, :] / width - 0.5) * direction[0] + (
        np.arange(height)[:, None] / height - 0.5
    ) * direction[1]
    light = rng.uniform(0.82, 1.12) * (1 + 0.12 * ramp)[..., None]
    light = light * rng.uniform(0.95, 1.05, size=3).astype(np.float32)
    noise = rng.standard_normal(image.shape, dtype=np.float32) * rng.uniform(
        0.004, 0.016
    )
    image = np.clip((image * light + noise) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        image, labels = image[:, ::-1], labels[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(labels)
