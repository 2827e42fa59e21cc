"""Shapes of a shop-photo figure and its garments, in figure units.

One job: the geometry of the body, hair and every garment cut, no drawing.
Figure units put the top of the head at y = 0 and the soles at y = 1, with
x = 0 on the body's axis. Every part is a list of shapes, `("poly", points)`
or `("ellipse", (cx, cy, rx, ry))`; `scenes.py` maps them to pixels and
paints them, back to front, into a label map.
"""

import dataclasses
from typing import Any

import numpy as np

SHOULDER_Y = 0.165
WAIST_Y = 0.40
HIP_Y = 0.48
CROTCH_Y = 0.555
ANKLE_Y = 0.925


@dataclasses.dataclass(frozen=True)
class Body:
    """Proportions of one model (item level) and their pose (view level)."""

    shoulder: float = 0.11
    waist: float = 0.08
    hip: float = 0.1
    arm_spread: float = 0.04
    leg_spread: float = 0.0
    hair: str = "short"

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "Body":
        """Draws the proportions and hair of a random model.

        Args:
            rng: a `numpy.random.Generator`.

        Returns:
            A `Body`.
        """
        return cls(
            shoulder=rng.uniform(0.095, 0.12),
            waist=rng.uniform(0.068, 0.088),
            hip=rng.uniform(0.085, 0.11),
            arm_spread=rng.uniform(0.02, 0.07),
            leg_spread=rng.uniform(0.0, 0.03),
            hair=rng.choice(["short", "long", "bun"]),
        )

    def posed(self, rng: np.random.Generator) -> "Body":
        """The same body with a slightly different stance, for another view.

        Args:
            rng: a `numpy.random.Generator`.

        Returns:
            A new `Body` with jittered `arm_spread` and `leg_spread`.
        """
        arms = float(np.clip(self.arm_spread + rng.normal(0, 0.01), 0.01, 0.09))
        legs = float(np.clip(self.leg_spread + rng.normal(0, 0.006), 0, 0.04))
        return dataclasses.replace(self, arm_spread=arms, leg_spread=legs)


def _limb(start, end, width_start, width_end, fraction=1.0):
    """A quadrilateral along a limb from `start`, `fraction` of the way to `end`."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    end = start + (end - start) * fraction
    width_end = width_start + (width_end - width_start) * fraction
    direction = (end - start) / max(np.linalg.norm(end - start), 1e-9)
    normal = np.array([-direction[1], direction[0]])
    return (
        "poly",
        [
            tuple(start + normal * width_start / 2),
            tuple(end + normal * width_end / 2),
            tuple(end - normal * width_end / 2),
            tuple(start - normal * width_start / 2),
        ],
    )


def _mirror(shape):
    kind, data = shape
    if kind == "poly":
        return kind, [(-x, y) for x, y in data]
    cx, cy, rx, ry = data
    return kind, (-cx, cy, rx, ry)


def _both_sides(shape):
    return [shape, _mirror(shape)]


def _arm_ends(body):
    shoulder = (body.shoulder - 0.012, SHOULDER_Y + 0.01)
    wrist = (body.shoulder + body.arm_spread, 0.47)
    return shoulder, wrist


def arms(
    body: Body, fraction: float = 1.0, extra_width: float = 0.0
) -> list[tuple[str, Any]]:
    """Both arms (skin), or both sleeves when `fraction` < 1 or widened.

    Args:
        body: the model.
        fraction: share of the arm covered, from the shoulder.
        extra_width: added to the arm's width (a sleeve's looseness).

    Returns:
        Two shapes, left and right.
    """
    shoulder, wrist = _arm_ends(body)
    limb = _limb(shoulder, wrist, 0.045 + extra_width, 0.03 + extra_width, fraction)
    return _both_sides(limb)


def hands(body: Body) -> list[tuple[str, Any]]:
    """Both hands, at the wrists.

    Args:
        body: the model.

    Returns:
        Two ellipses, left and right.
    """
    _, wrist = _arm_ends(body)
    return _both_sides(("ellipse", (wrist[0] + 0.004, wrist[1] + 0.02, 0.018, 0.026)))


def _leg_ends(body):
    return (0.048 + body.leg_spread / 2, HIP_Y + 0.02), (
        0.05 + body.leg_spread,
        ANKLE_Y,
    )


def legs(
    body: Body, length: float = ANKLE_Y, width: float = 0.0, ankle_width: float = 0.04
) -> list[tuple[str, Any]]:
    """Both legs (skin), or both trouser legs down to `length` when widened.

    Args:
        body: the model.
        length: how far down the legs go, in figure units.
        width: added to the leg's width (a trouser's looseness).
        ankle_width: width at the ankle, before `width` is added.

    Returns:
        Two shapes, left and right.
    """
    hip, ankle = _leg_ends(body)
    fraction = (length - hip[1]) / (ankle[1] - hip[1])
    limb = _limb(hip, ankle, 0.085 + width, ankle_width + width, fraction)
    return _both_sides(limb)


def torso(body: Body) -> list[tuple[str, Any]]:
    """Skin of the neck, chest and belly.

    Args:
        body: the model.

    Returns:
        The shapes of the neck and of the trunk.
    """
    s, w, h = body.shoulder, body.waist, body.hip
    return [
        ("poly", [(-0.02, 0.1), (0.02, 0.1), (0.022, 0.17), (-0.022, 0.17)]),
        (
            "poly",
            [
                (-s, SHOULDER_Y),
                (s, SHOULDER_Y),
                (w, WAIST_Y),
                (h, HIP_Y + 0.02),
                (-h, HIP_Y + 0.02),
                (-w, WAIST_Y),
            ],
        ),
    ]


def bodice(
    body: Body, bottom: float, neckline: str, flare: float = 0.012
) -> list[tuple[str, Any]]:
    """Front of a top or dress from the shoulders down to `bottom`.

    Args:
        body: the model.
        bottom: height of the hem, in figure units.
        neckline: `"v"` for a V neck; anything else gives a round neck.
        flare: added to the hip width at the hem.

    Returns:
        One polygon.
    """
    s, w, h = body.shoulder + 0.006, body.waist + 0.01, body.hip + flare
    neck = [(-0.035, SHOULDER_Y - 0.025)]
    if neckline == "v":
        neck += [(0.0, SHOULDER_Y + 0.06)]
    else:
        neck += [
            (-0.02, SHOULDER_Y - 0.005),
            (0.0, SHOULDER_Y),
            (0.02, SHOULDER_Y - 0.005),
        ]
    neck += [(0.035, SHOULDER_Y - 0.025)]
    hem_x = w + (h - w) * np.clip((bottom - WAIST_Y) / (HIP_Y - WAIST_Y), 0, 1.5)
    return [
        (
            "poly",
            [
                (-s, SHOULDER_Y - 0.01),
                *neck,
                (s, SHOULDER_Y - 0.01),
                (w, WAIST_Y),
                (hem_x, bottom),
                (-hem_x, bottom),
                (-w, WAIST_Y),
            ],
        )
    ]


def top(body: Body, style: dict[str, Any]) -> list[tuple[str, Any]]:
    """A top: a bodice and, unless sleeveless, sleeves.

    Args:
        body: the model.
        style: the cut, with `length`, `neckline` and `sleeve` (the
            sleeve's share of the arm, 0 for none).

    Returns:
        The top's shapes.
    """
    shapes = bodice(body, style["length"], style["neckline"])
    if style["sleeve"] > 0:
        shapes += arms(body, style["sleeve"], extra_width=0.012)
    return shapes


def dress(body: Body, style: dict[str, Any]) -> list[tuple[str, Any]]:
    """A dress: a bodice to the waist, a skirt, and sleeves unless sleeveless.

    Args:
        body: the model.
        style: the cut, with `length`, `neckline`, `sleeve` and `flare`.

    Returns:
        The dress's shapes.
    """
    shapes = bodice(body, WAIST_Y + 0.01, style["neckline"])
    w = body.waist + 0.01
    hem = body.hip + style["flare"]
    shapes.append(
        (
            "poly",
            [
                (-w, WAIST_Y),
                (w, WAIST_Y),
                (hem, style["length"]),
                (-hem, style["length"]),
            ],
        )
    )
    if style["sleeve"] > 0:
        shapes += arms(body, style["sleeve"], extra_width=0.012)
    return shapes


def pants(body: Body, style: dict[str, Any]) -> list[tuple[str, Any]]:
    """Trousers (or shorts): the seat and both legs.

    Args:
        body: the model.
        style: the cut, with `length` (in figure units), `flare` (added
            to the ankle width) and optionally `rise`, the waistband's
            height below the waist (0.045 if absent; 0 for high-waisted).

    Returns:
        The trousers' shapes.
    """
    w, h = body.waist + 0.006, body.hip + 0.008
    waistband = WAIST_Y + style.get("rise", 0.045)
    block = (
        "poly",
        [
            (-w, waistband),
            (w, waistband),
            (h, HIP_Y + 0.02),
            (h - 0.004, CROTCH_Y),
            (-h + 0.004, CROTCH_Y),
            (-h, HIP_Y + 0.02),
        ],
    )
    ankle = 0.04 + style["flare"]
    return [block, *legs(body, style["length"], width=0.012, ankle_width=ankle)]


def skirt(body: Body, style: dict[str, Any]) -> list[tuple[str, Any]]:
    """A skirt from the waist down to `length`, flared at the hem.

    Args:
        body: the model.
        style: the cut, with `length` (in figure units) and `flare` (added
            to the hip width at the hem).

    Returns:
        One polygon.
    """
    w, h = body.waist + 0.008, body.hip + 0.01
    hem = h + style["flare"]
    return [
        (
            "poly",
            [
                (-w, WAIST_Y + 0.01),
                (w, WAIST_Y + 0.01),
                (h, HIP_Y + 0.02),
                (hem, style["length"]),
                (-hem, style["length"]),
                (-h, HIP_Y + 0.02),
            ],
        )
    ]


def outer(body: Body, style: dict[str, Any]) -> list[tuple[str, Any]]:
    """An open jacket or coat: two front panels and two sleeves.

    Args:
        body: the model.
        style: the cut, with `gap` (half the opening), `length` and
            `sleeve`.

    Returns:
        The jacket's shapes.
    """
    s, w, h = body.shoulder + 0.016, body.waist + 0.022, body.hip + 0.026
    gap, length = style["gap"], style["length"]
    panel = (
        "poly",
        [
            (-s, SHOULDER_Y - 0.012),
            (-0.04, SHOULDER_Y - 0.03),
            (-gap, SHOULDER_Y + 0.09),
            (-gap, length),
            (-h, length),
            (-w, WAIST_Y),
        ],
    )
    return [*_both_sides(panel), *arms(body, style["sleeve"], extra_width=0.022)]


def footwear(body: Body, style: dict[str, Any]) -> list[tuple[str, Any]]:
    """A pair of shoes at the ankles.

    Args:
        body: the model.
        style: unused: shoes have a single cut.

    Returns:
        Two polygons, left and right.
    """
    _, ankle = _leg_ends(body)
    x = ankle[0]
    shoe = (
        "poly",
        [
            (-x - 0.028, ANKLE_Y - 0.012),
            (-x + 0.022, ANKLE_Y - 0.012),
            (-x + 0.026, 0.985),
            (-x - 0.05, 0.985),
            (-x - 0.05, 0.965),
        ],
    )
    return _both_sides(shoe)


def belt(body: Body) -> list[tuple[str, Any]]:
    """A belt just below the waist.

    Args:
        body: the model.

    Returns:
        One polygon.
    """
    w = body.waist + 0.014
    return [
        (
            "poly",
            [
                (-w, WAIST_Y + 0.04),
                (w, WAIST_Y + 0.04),
                (w, WAIST_Y + 0.062),
                (-w, WAIST_Y + 0.062),
            ],
        )
    ]


def bag(body: Body) -> list[tuple[str, Any]]:
    """A shoulder bag: its strap and the bag beside the hip.

    Args:
        body: the model.

    Returns:
        The strap and the bag.
    """
    x = body.shoulder + body.arm_spread + 0.05
    strap = _limb((body.shoulder - 0.03, SHOULDER_Y - 0.01), (x, 0.44), 0.01, 0.01)
    return [
        strap,
        (
            "poly",
            [(x - 0.05, 0.43), (x + 0.05, 0.43), (x + 0.055, 0.56), (x - 0.055, 0.56)],
        ),
    ]


def hair(body: Body, back_view: bool) -> list[tuple[str, Any]]:
    """Hair in front of the head; the whole head from behind.

    Args:
        body: the model (its `hair` style).
        back_view: whether the model is seen from behind.

    Returns:
        Ellipses.
    """
    if back_view:
        return [("ellipse", (0.0, 0.065, 0.047, 0.062))]
    shapes = [("ellipse", (0.0, 0.048, 0.048, 0.046))]
    if body.hair == "bun":
        shapes.append(("ellipse", (0.0, 0.0, 0.026, 0.022)))
    return shapes


def hair_in_front(body: Body) -> list[tuple[str, Any]]:
    """Long hair falling in front of the shoulders, over the garments.

    Args:
        body: the model (its `hair` style).

    Returns:
        Two polygons for hair worn in front, none otherwise.
    """
    if body.hair != "front":
        return []
    strand = (
        "poly",
        [(-0.05, 0.06), (-0.028, 0.06), (-0.06, 0.3), (-0.085, 0.28), (-0.07, 0.16)],
    )
    return _both_sides(strand)


def hair_behind(body: Body) -> list[tuple[str, Any]]:
    """Long hair falling behind the shoulders, painted under the body.

    Args:
        body: the model (its `hair` style).

    Returns:
        One polygon for long hair, none otherwise.
    """
    if body.hair not in ("long", "front"):
        return []
    return [("poly", [(-0.05, 0.05), (0.05, 0.05), (0.068, 0.27), (-0.068, 0.27)])]


def face() -> list[tuple[str, Any]]:
    """The face.

    Returns:
        One ellipse.
    """
    return [("ellipse", (0.0, 0.074, 0.04, 0.052))]


FACE_DETAILS = (
    ("ellipse", (-0.016, 0.07, 0.007, 0.004)),
    ("ellipse", (0.016, 0.07, 0.007, 0.004)),
    ("ellipse", (0.0, 0.104, 0.012, 0.004)),
)
"""Eyes and mouth: painted on the image only, never in the mask."""

GARMENT_SHAPES = {
    "top": top,
    "dress": dress,
    "pants": pants,
    "skirt": skirt,
    "outer": outer,
    "footwear": footwear,
}
