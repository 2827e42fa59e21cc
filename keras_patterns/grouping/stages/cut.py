"""CutStage: the patches cut inside the product's garment."""

import math
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.grouping.items import GroupedItem
from keras_patterns.modeling.labels import GARMENT_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.patches.extract import Patch
from keras_patterns.patches.extract import extract_patches
from keras_patterns.patches.extract import textured_patches
from keras_patterns.patches.texture import texture_score
from keras_patterns.utils.images import centre_square
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int

# How CutStage chooses the garment when none is named.
GARMENT_CHOICES = ("largest", "textured", "probe")
# With "probe", the candidate squares cut from each garment region.
PROBE_PER_REGION = 3


# With "textured", garments whose largest patch is smaller than this share
# of the largest one's side are not considered.
TEXTURED_SHARE = 0.3


class CutStage:
    """Cuts up to `patches_per_item` disjoint patches inside one garment.

    The garment is the one named for the photo, else the class whose
    largest patch is largest; the patches are placed on the working copy
    and cut from the full photo.

    Args:
        classes: garment classes a patch may come from.
        label_names: class names of the label maps' ids.
        min_patch: smallest patch side kept, in photo pixels (`min_patch`,
            `margin` and `small_patch` count the pixels `__call__`'s `unit`
            says: with `SegmentStage(frame_scale=True)`, the photo's frame's).
        margin: pixels kept away from garment edges (an int), or a share of
            the region's smaller side (a float below 0.5).
        patch_shape: `"square"` cuts the largest square inside the garment
            (the embedder sees all of it); `"rectangle"` the largest
            rectangle, centre-cropped to a square later.
        patches_per_item: patches cut from each photo's garment (the
            largest, then the largest in what is left, ...); the input's
            embedding is their mean, so one patch spoiled by a segmentation
            error (a strip of skin or background) weighs less.
        garment_choice: the garment cut when none is named: `"largest"`,
            the one whose largest patch is largest, or `"textured"`, of the
            garments whose largest patch is at least `TEXTURED_SHARE` of
            the largest's side, the one whose patch holds the most pattern
            (`patches.texture_score`): in a product photo the product is
            the patterned garment, beside plain ones often larger; or
            `"probe"`: of the same candidates, `PROBE_PER_REGION` squares
            per garment region, the ones that `garment_probe` finds
            patterned, the most probable first (always at least one), from
            any garment class: a segmenter that splits the patterned garment
            between classes still gives its patches. With `"probe"`, a named
            garment orders the candidates rather than filtering them: its
            class's first, then the others, and every patch from the first
            one's class (`probed`).
        garment_probe: with `"probe"`, a linear probe on the embedder's
            embeddings: a mapping with `weights` (one per embedding
            dimension), `bias`, `threshold` (the probability of "patterned"
            a patch after the first needs) and `size` (the side candidates
            are resized to before embedding).
        texture_squares: squares cut from each connected part of the
            garments' textured pixels (`patches.textured_patches`, all
            garment classes as one mask) that join the candidates; 0 for
            none. Where a segmenter splits the patterned garment between
            classes its regions are small, and the textured part of the
            photo gives squares the size of the garment; the probe (or
            `"textured"`) still chooses among all of them.
        small_patch: candidates whose side is under `small_patch` pixels
            are dropped wherever a photo has a larger one; 0 keeps them all.
            A square a few pixels wide sits on a garment's edge as easily as
            inside it, and shows too few repeats of a pattern for the probe
            or the embedder to read it.
    """

    def __init__(
        self,
        classes: Sequence[str] = GARMENT_CLASSES,
        label_names: Sequence[str] = NINE_CLASSES,
        min_patch: int = 8,
        margin: int | float = 2,
        patch_shape: str = "square",
        patches_per_item: int = 5,
        garment_choice: str = "largest",
        garment_probe: Mapping[str, Any] | None = None,
        texture_squares: int = 0,
        small_patch: int = 0,
    ) -> None:
        self.classes = tuple(classes)
        self.label_names = tuple(label_names)
        self.min_patch = check_int(min_patch, "min_patch")
        self.margin = margin
        self.patch_shape = check_choice(
            patch_shape, ("square", "rectangle"), "patch_shape"
        )
        self.patches_per_item = check_int(patches_per_item, "patches_per_item")
        self.garment_choice = check_choice(
            garment_choice, GARMENT_CHOICES, "garment_choice"
        )
        self.garment_probe = _check_probe(garment_probe)
        self.texture_squares = check_int(texture_squares, "texture_squares", minimum=0)
        self.small_patch = check_int(small_patch, "small_patch", minimum=0)
        if self.garment_choice == "probe" and self.garment_probe is None:
            raise ValueError(
                'garment_choice="probe" needs a garment_probe (weights, bias, '
                "threshold, size), such as the product_photos preset's. "
                "Received: garment_probe=None"
            )

    def get_config(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "min_patch": self.min_patch,
            "margin": self.margin,
            "patch_shape": self.patch_shape,
            "patches_per_item": self.patches_per_item,
            "garment_choice": self.garment_choice,
            "garment_probe": self.garment_probe,
            "texture_squares": self.texture_squares,
            "small_patch": self.small_patch,
        }

    def options(self, factor: float) -> dict[str, Any]:
        """`extract_patches` options on a working copy `factor` times smaller."""
        margin = self.margin
        if factor != 1.0 and isinstance(margin, int) and margin:
            margin = max(1, round(margin / factor))
        return {
            "min_size": max(1, math.ceil(self.min_patch / factor)),
            "margin": margin,
            "label_names": self.label_names,
            "shape": self.patch_shape,
        }

    def choose(
        self,
        working: np.ndarray,
        labels: np.ndarray,
        classes: Sequence[str],
        options: dict[str, Any],
        factor: float = 1.0,
    ) -> tuple[str, ...]:
        """The garment to cut from when none is named (see `garment_choice`):
        a one-name tuple, empty when no garment holds a patch."""
        if self.garment_choice == "largest":
            largest = extract_patches(
                working, labels, classes, max_patches=1, **options
            )
            return tuple(patch.class_name for patch in largest)
        big = self.candidates(working, labels, classes, options)
        big = [p for p, ok in zip(big, self.usable(big, factor), strict=True) if ok]
        if not big:
            return ()
        best = max(big, key=lambda patch: texture_score(patch.image))
        return (best.class_name,)

    def candidates(
        self,
        working: np.ndarray,
        labels: np.ndarray,
        classes: Sequence[str],
        options: dict[str, Any],
        per_region: int | None = None,
    ) -> list[Patch]:
        """The squares a garment is chosen among: the largest `per_region` of
        each garment region (by default `PROBE_PER_REGION` with `"probe"`,
        else 1), then `texture_squares` of each textured part of the
        garments, those whose side is at least `TEXTURED_SHARE` of the
        largest region square's (`small_patch` is applied by the choice,
        `usable`)."""
        if per_region is None:
            per_region = PROBE_PER_REGION if self.garment_choice == "probe" else 1
        found = extract_patches(
            working, labels, classes, per_region=per_region, **options
        )
        side = min(found[0].image.shape[:2]) if found else 0
        if self.texture_squares:
            found += textured_patches(
                working,
                labels,
                classes,
                options["min_size"],
                label_names=options["label_names"],
                per_region=self.texture_squares,
            )
        return [p for p in found if min(p.image.shape[:2]) >= TEXTURED_SHARE * side]

    def usable(
        self, big: Sequence[Patch], factor: float = 1.0, garment: str | None = None
    ) -> np.ndarray:
        """Which of the candidates `big` the choice considers: with
        `small_patch`, those at least that side (`big` placed on a copy
        `factor` times smaller than the pixels sizes count), the smaller
        ones only where none is as large; with a `garment` named, among its
        class's candidates and among the others apart, so that a small
        named garment keeps its squares.

        Example:

        >>> stage = CutStage(small_patch=24)
        >>> big = [
        ...     Patch(np.zeros((side, side, 3)), (0, 0, side, side), name, 1.0, 1)
        ...     for side, name in ((40, "top"), (20, "top"), (16, "skirt"))
        ... ]
        >>> stage.usable(big).tolist()
        [True, False, False]
        >>> stage.usable(big, garment="skirt").tolist()
        [True, False, True]
        >>> stage.usable(big, factor=2.0).tolist()  # 24 px are 12 on `big`
        [True, True, True]
        """
        sides = np.array([min(p.image.shape[:2]) for p in big])
        large = sides >= self.small_patch / factor
        named = np.array([p.class_name == garment for p in big], bool)
        for group in (named, ~named):
            if not large[group].any():
                large[group] = True
        return large

    def uses_probe(self, garment: str | None) -> bool:
        """Whether a photo with `garment` named (or `None`) is cut by the probe.

        Example:

        >>> probe = {"weights": [1.0], "bias": 0.0, "threshold": 0.7, "size": 16}
        >>> stage = CutStage(garment_choice="probe", garment_probe=probe)
        >>> stage.classes
        ('top', 'dress', 'outer', 'pants')
        >>> stage.uses_probe(None), stage.uses_probe("top"), stage.uses_probe("skirt")
        (True, True, False)
        >>> CutStage().uses_probe(None)
        False
        """
        return self.garment_choice == "probe" and garment in (None, *self.classes)

    def probes(
        self,
        cuts: Sequence[tuple[np.ndarray, np.ndarray, float]],
        embed: Callable[[np.ndarray], np.ndarray],
    ) -> list[tuple[list[Patch], np.ndarray]]:
        """The candidates of several photos and their embeddings, embedded in
        one call: `(candidates, vectors)` for each `(working, labels, factor)`,
        `factor` from the pixels sizes count to `working`'s (`__call__`)."""
        size = self.garment_probe["size"]
        found = [
            self.candidates(working, labels, self.classes, self.options(factor))
            for working, labels, factor in cuts
        ]
        inputs = [self.probe_inputs(big, size) for big in found if big]
        vectors = embed(np.concatenate(inputs)) if inputs else np.zeros((0, 1))
        ends = np.cumsum([len(big) for big in found])
        return [
            (big, vectors[end - len(big) : end])
            for big, end in zip(found, ends, strict=True)
        ]

    @staticmethod
    def probe_inputs(candidates: Sequence[Patch], size: int) -> np.ndarray:
        """The candidates as the probe's embedder sees them: `(N, size, size, 3)`."""
        return np.stack(
            [resize_image(centre_square(p.image), (size, size)) for p in candidates]
        )

    def probed(
        self,
        working: np.ndarray,
        labels: np.ndarray,
        classes: Sequence[str],
        options: dict[str, Any],
        embed: Callable[[np.ndarray], np.ndarray],
        garment: str | None = None,
        factor: float = 1.0,
    ) -> list[Patch]:
        """The candidates `garment_probe` finds patterned, most probable first.

        With a `garment` named, the candidates of every class in `classes`
        are scored, but the named class's come first, and the patches after
        the first come from the first one's class only: a segmenter that
        gives the named garment no region of its class (a dress it calls a
        top) still gives a patch on the patterned garment, and one that
        names it correctly gives patches on it alone.
        """
        big = self.candidates(working, labels, classes, options)
        if not big:
            return []
        vectors = embed(self.probe_inputs(big, self.garment_probe["size"]))
        return self.chosen(big, vectors, garment, factor)

    def chosen(
        self,
        big: Sequence[Patch],
        vectors: np.ndarray,
        garment: str | None = None,
        factor: float = 1.0,
    ) -> list[Patch]:
        """`probed`'s choice among candidates `big` whose embeddings are
        `vectors` (a chunk's candidates are embedded together), of those it
        may use (`usable`, with `factor`).

        Example: a probe that reads the first dimension, threshold 0.7 (a
        logit of 0.85) for the patches after the first:

        >>> probe = {"weights": [1.0, 0.0], "bias": 0.0, "threshold": 0.7, "size": 16}
        >>> stage = CutStage(garment_choice="probe", garment_probe=probe)
        >>> big = [
        ...     Patch(np.zeros((8, 8, 3)), (0, 0, 8, 8), name, 1.0, 64)
        ...     for name in ("top", "pants", "top")
        ... ]
        >>> vectors = np.array([[0.5, 0.0], [2.0, 0.0], [1.0, 0.0]])
        >>> [patch.class_name for patch in stage.chosen(big, vectors)]
        ['pants', 'top']
        >>> [patch.class_name for patch in stage.chosen(big, vectors, "top")]
        ['top']
        """
        if not big:
            return []
        probe = self.garment_probe
        if vectors.shape[-1] != len(probe["weights"]):
            raise ValueError(
                f"garment_probe has {len(probe['weights'])} weights, but the "
                f"embedder gives {vectors.shape[-1]}-dimensional embeddings: "
                "the probe must be fitted on this embedder's embeddings"
            )
        logits = vectors @ np.asarray(probe["weights"])
        logits = logits + probe["bias"]
        named = np.array([patch.class_name == garment for patch in big])
        # The named class first (lexsort's last key is its first), then the
        # probe's logit, largest first; of the usable candidates.
        order = np.lexsort((-logits, ~named))
        order = order[self.usable(big, factor, garment)[order]]
        least = math.log(probe["threshold"] / (1.0 - probe["threshold"]))
        first = big[order[0]].class_name
        kept = [order[0]]
        for n in order[1:]:
            if logits[n] >= least and (garment is None or big[n].class_name == first):
                kept.append(n)
        return [big[n] for n in kept[: self.patches_per_item]]

    @staticmethod
    def photo_boxes(
        patches: Sequence[Patch], factor: float, shape: Sequence[int]
    ) -> list[tuple[int, int, int, int]]:
        """The boxes of `patches`, placed on a working copy `factor` times
        smaller, on the photo of `shape`: `(top, left, bottom, right)` each.

        Example:

        >>> patch = Patch(np.zeros((10, 10, 3)), (2, 3, 12, 13), "top", 1.0, 100)
        >>> CutStage.photo_boxes([patch], 2.0, (25, 40, 3))
        [(4, 6, 24, 26)]
        >>> CutStage.photo_boxes([patch], 2.5, (25, 40, 3))
        [(5, 8, 25, 32)]
        """
        if factor == 1.0:
            return [tuple(patch.box) for patch in patches]
        limits = tuple(shape[:2]) * 2  # (height, width, height, width)
        return [
            tuple(
                min(round(v * factor), limit)
                for v, limit in zip(patch.box, limits, strict=True)
            )
            for patch in patches
        ]

    def __call__(
        self,
        item: GroupedItem,
        photo: np.ndarray,
        working: np.ndarray,
        labels: np.ndarray,
        garment: str | None,
        factor: float,
        embed: Callable[[np.ndarray], np.ndarray] | None = None,
        scored: tuple[list[Patch], np.ndarray] | None = None,
        unit: float = 1.0,
    ) -> list[np.ndarray]:
        """The patches of `photo`, placed on `working` (`factor` times smaller).

        Sets `item.boxes` (`item.box` the first) and `item.class_name`, or
        `item.error` when the garment holds none. `embed` (images to
        embeddings) is what `"probe"` scores candidates with, unless
        `scored` gives them and their embeddings already (`probes`). The
        sizes (`min_patch`, `margin`, `small_patch`) count pixels of `unit`
        photo pixels (`SegmentStage.unit`).
        """
        classes = self.classes if garment is None else (garment,)
        sizes = factor / unit  # the counting pixels' factor to `working`
        options = self.options(sizes)
        count = self.patches_per_item
        if scored is not None:
            patches = self.chosen(*scored, garment, sizes)
        elif self.uses_probe(garment):
            if embed is None:
                raise ValueError(
                    'garment_choice="probe" embeds the candidate patches: it needs '
                    "an embedder. Received: embed=None"
                )
            patches = self.probed(
                working, labels, self.classes, options, embed, garment, sizes
            )
        else:
            if len(classes) > 1:
                classes = self.choose(working, labels, classes, options, sizes)
            patches = (
                extract_patches(
                    working,
                    labels,
                    classes,
                    max_patches=count,
                    per_region=count,
                    **options,
                )
                if classes
                else []
            )
        if not patches:
            item.error = (
                f"no garment patch of at least {self.min_patch} pixels "
                f"(classes {', '.join(self.classes if garment is None else classes)})"
            )
            return []
        boxes = self.photo_boxes(patches, factor, photo.shape)
        item.box, item.boxes = boxes[0], boxes
        item.class_name = patches[0].class_name
        return [photo[top:bottom, left:right] for top, left, bottom, right in boxes]


def _check_probe(probe: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`garment_probe` as a plain dict of floats, checked."""
    if probe is None:
        return None
    expected = (
        "a mapping with weights (a list of numbers), bias, threshold in (0, 1) and size"
    )
    if not isinstance(probe, Mapping) or not {
        "weights",
        "bias",
        "threshold",
        "size",
    } <= set(probe):
        raise ValueError(f"garment_probe must be {expected}. Received: {probe!r:.200}")
    weights = np.asarray(probe["weights"], np.float64)
    threshold = float(probe["threshold"])
    if weights.ndim != 1 or not weights.size or not 0.0 < threshold < 1.0:
        raise ValueError(
            f"garment_probe must be {expected}. Received: weights of shape "
            f"{weights.shape}, threshold={threshold}"
        )
    return {
        "weights": [float(w) for w in weights],
        "bias": float(probe["bias"]),
        "threshold": threshold,
        "size": check_int(probe["size"], "garment_probe['size']", minimum=16),
    }
