"""The stages a `PatternGrouper` runs each chunk of inputs through.

Each stage is a small object that owns its settings (and its model, where
it has one) and describes them in `get_config`; `GroupingPipeline` chains
them, as scikit-learn's `Pipeline` chains its steps:

    read -> segment -> cut -> enhance -> embed

`ReadStage` decodes the inputs a chunk at a time, the next chunk on
threads; `SegmentStage` labels garment pixels on a working copy of each
photo; `CutStage` cuts the patches inside the product's garment;
`EnhanceStage` makes them square, upscales the small ones and resizes all
to the embedder's size; `EmbedStage` embeds every view of a chunk's
patches in one call. Without a segmenter, an input is its own patch.
"""

import dataclasses
import inspect
import itertools
import math
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.grouping.inputs import Images
from keras_patterns.grouping.inputs import iter_inputs
from keras_patterns.grouping.inputs import read_input
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.patches.extract import extract_patches
from keras_patterns.patches.texture import texture_score
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.utils.images import centre_square
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_non_negative
from keras_patterns.utils.validation import check_positive

# The garment classes a patch may come from, by default.
GARMENTS = ("top", "dress", "outer", "pants")
# A patch and its mirror images (as indexes): as is, left-right, up-down, both.
FLIPS = tuple(
    (slice(None, None, r), slice(None, None, c)) for r in (1, -1) for c in (1, -1)
)
# How `EnhanceStage` batches small patches through the enhancer.
UPSCALE_BATCHING = {"pad_to": 8, "batch_size": 32}
# Patch views per forward pass of the embedder.
EMBED_BATCH = 128
# Threads decoding the next chunk's files while the current one is computed.
READ_WORKERS = 4
# How CutStage chooses the garment when none is named.
GARMENT_CHOICES = ("largest", "textured")
# With "textured", garments whose largest patch is smaller than this share
# of the largest one's side are not considered.
TEXTURED_SHARE = 0.3
# Photos are segmented and patches placed at most this many times the
# segmenter's input size (`SegmentStage.working_photo`).
CUT_SCALE = 2


@dataclasses.dataclass
class Chunk:
    """A chunk of inputs on its way through the stages.

    Attributes:
        items: a `GroupedItem` per input, its `error` set where it failed.
        images: the decoded uint8 images, `None` where reading failed.
    """

    items: list[GroupedItem]
    images: list[np.ndarray | None]

    @property
    def alive(self) -> list[int]:
        """Positions of the inputs that have not failed."""
        return [i for i, item in enumerate(self.items) if item.ok]


class ReadStage:
    """Reads inputs lazily, a chunk at a time, decoding the next on threads.

    A folder is walked and a generator consumed as the chunks go, so memory
    holds a chunk, not the catalogue. Arrays of a list or batch are kept as
    each item's `input` (they are the caller's memory, and the contact
    sheets show them); arrays from an iterator are not, so streaming them
    holds no image.

    Args:
        batch_size: inputs per chunk.
        workers: threads decoding files.
    """

    def __init__(self, batch_size: int = 32, workers: int = READ_WORKERS) -> None:
        self.batch_size = check_int(batch_size, "batch_size")
        self.workers = check_int(workers, "workers")

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size}

    def __call__(self, images: Images, hold: bool) -> Iterator[Chunk]:
        """Yields the inputs of `images` as `Chunk`s, in order.

        Args:
            images: what `keras_patterns.grouping.inputs.iter_inputs` takes.
            hold: keep array inputs as the items' `input`.
        """
        entries = iter_inputs(images)
        with ThreadPoolExecutor(self.workers) as pool:

            def read_ahead():
                chunk = list(itertools.islice(entries, self.batch_size))
                return chunk, [pool.submit(read_input, entry) for _, entry in chunk]

            start = 0
            chunk, reads = read_ahead()
            while chunk:
                decoded = [read.result() for read in reads]
                following, reads = read_ahead()
                yield self._chunk(chunk, decoded, start, hold)
                start += len(chunk)
                chunk = following

    @staticmethod
    def _chunk(entries, decoded, start, hold):
        items = []
        for offset, ((source, entry), image) in enumerate(
            zip(entries, decoded, strict=True)
        ):
            item = GroupedItem(index=start + offset, source=source)
            if isinstance(image, str):
                item.error, decoded[offset] = image, None
            elif hold and not isinstance(entry, Path):
                item.input = entry
            items.append(item)
        return Chunk(items, decoded)


class SegmentStage:
    """Labels garment pixels, on a working copy of each photo at most twice
    the segmenter's size.

    With `garments` naming a photo's product, the named garment gets a
    log-prior of `garment_prior` before the argmax
    (`keras_patterns.segmentation.garment_label_maps`).

    Args:
        segmenter: a `DeepLabV3Plus` (or any model with `predict_labels`),
            or `None` when the inputs are patches: then each input is its
            own patch, and the stage is skipped.
        segment_size: `(height, width)` photos are resized to for the
            segmenter (the size it was trained at); `None` keeps them.
        garment_prior: when `garments` name each photo's product, the
            log-prior added to that garment's logits before the patch is
            cut (`segmentation.garment_labels`): pixels the segmenter gives
            to a similar garment (a top for a dress) go to the named one
            when it nearly won them. 0 turns it off; needs a segmenter with
            `predict_logits`.
        classes: the garment classes the prior may relabel.
        label_names: class names of the segmenter's ids (default: the
            9-class set for 9 outputs, else the 16 In-shop classes).
        batch_size: photos per forward pass.
    """

    def __init__(
        self,
        segmenter: Any,
        segment_size: Sequence[int] | None = None,
        garment_prior: float = 1.5,
        classes: Sequence[str] = GARMENTS,
        label_names: Sequence[str] | None = None,
        batch_size: int = 32,
    ) -> None:
        self.segmenter = segmenter
        self.segment_size = None if segment_size is None else tuple(segment_size)
        self.garment_prior = check_non_negative(garment_prior, "garment_prior")
        self.classes = tuple(classes)
        if label_names is None:
            outputs = getattr(segmenter, "num_classes", len(NINE_CLASSES))
            label_names = (
                NINE_CLASSES if outputs == len(NINE_CLASSES) else INSHOP_CLASSES
            )
        self.label_names = tuple(label_names)
        self.batch_size = check_int(batch_size, "batch_size")

    def get_config(self) -> dict[str, Any]:
        return {
            "segment_size": self.segment_size,
            "garment_prior": self.garment_prior,
            "label_names": self.label_names,
        }

    def working_photo(self, photo: np.ndarray) -> tuple[np.ndarray, float]:
        """`photo` scaled down for segmenting and cutting, and the factor back.

        The segmenter sees `segment_size`, so a label map finer than
        `CUT_SCALE` times that holds no more information; a large photo is
        segmented and its patches placed on a copy of at most that size
        (an exact O(H W) search on 0.2 instead of 2 megapixels), and the
        patches are then cut from the full photo.
        """
        if self.segment_size is None:
            return photo, 1.0
        height, width = photo.shape[:2]
        scale = min(
            1.0,
            CUT_SCALE * self.segment_size[0] / height,
            CUT_SCALE * self.segment_size[1] / width,
        )
        if scale == 1.0:
            return photo, 1.0
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        small = resize_image(photo, size, Image.BILINEAR, reducing_gap=2.0)
        return small, height / size[0]

    def __call__(
        self, photos: Sequence[np.ndarray], garments: Sequence[str | None]
    ) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """`(working copy, factor back, label map)` for each photo.

        Args:
            photos: uint8 `(H, W, 3)` photos.
            garments: the garment named for each photo, or `None`.
        """
        working = [self.working_photo(photo) for photo in photos]
        maps = garment_label_maps(
            self.segmenter,
            [small for small, _ in working],
            list(garments),
            self.garment_prior,
            self.segment_size,
            self.batch_size,
            self.classes,
            self.label_names,
        )
        return [(*w, labels) for w, labels in zip(working, maps, strict=True)]


class CutStage:
    """Cuts up to `patches_per_item` disjoint patches inside one garment.

    The garment is the one named for the photo, else the class whose
    largest patch is largest; the patches are placed on the working copy
    and cut from the full photo.

    Args:
        classes: garment classes a patch may come from.
        label_names: class names of the label maps' ids.
        min_patch: smallest patch side kept, in photo pixels.
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
            the patterned garment, beside plain ones often larger.
    """

    def __init__(
        self,
        classes: Sequence[str] = GARMENTS,
        label_names: Sequence[str] = NINE_CLASSES,
        min_patch: int = 8,
        margin: int | float = 2,
        patch_shape: str = "square",
        patches_per_item: int = 5,
        garment_choice: str = "largest",
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

    def get_config(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "min_patch": self.min_patch,
            "margin": self.margin,
            "patch_shape": self.patch_shape,
            "patches_per_item": self.patches_per_item,
            "garment_choice": self.garment_choice,
        }

    def choose(
        self,
        working: np.ndarray,
        labels: np.ndarray,
        classes: Sequence[str],
        options: dict[str, Any],
    ) -> tuple[str, ...]:
        """The garment to cut from when none is named (see `garment_choice`):
        a one-name tuple, empty when no garment holds a patch."""
        if self.garment_choice == "largest":
            largest = extract_patches(
                working, labels, classes, max_patches=1, **options
            )
            return tuple(patch.class_name for patch in largest)
        candidates = extract_patches(working, labels, classes, **options)
        if not candidates:
            return ()
        side = min(candidates[0].image.shape[:2])
        big = [p for p in candidates if min(p.image.shape[:2]) >= TEXTURED_SHARE * side]
        best = max(big, key=lambda patch: texture_score(patch.image))
        return (best.class_name,)

    def __call__(
        self,
        item: GroupedItem,
        photo: np.ndarray,
        working: np.ndarray,
        labels: np.ndarray,
        garment: str | None,
        factor: float,
    ) -> list[np.ndarray]:
        """The patches of `photo`, placed on `working` (`factor` times smaller).

        Sets `item.boxes` (`item.box` the first) and `item.class_name`, or
        `item.error` when the garment holds none.
        """
        classes = self.classes if garment is None else (garment,)
        margin = self.margin
        if factor != 1.0 and isinstance(margin, int) and margin:
            margin = max(1, round(margin / factor))
        options = {
            "min_size": max(1, math.ceil(self.min_patch / factor)),
            "margin": margin,
            "label_names": self.label_names,
            "shape": self.patch_shape,
        }
        if len(classes) > 1:
            classes = self.choose(working, labels, classes, options)
        count = self.patches_per_item
        patches = (
            extract_patches(
                working, labels, classes, max_patches=count, per_region=count, **options
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
        if factor == 1.0:
            boxes = [patch.box for patch in patches]
        else:
            limits = photo.shape[:2] * 2  # (height, width, height, width)
            boxes = [
                tuple(
                    min(round(v * factor), limit)
                    for v, limit in zip(patch.box, limits, strict=True)
                )
                for patch in patches
            ]
        item.box, item.boxes = boxes[0], boxes
        item.class_name = patches[0].class_name
        return [photo[top:bottom, left:right] for top, left, bottom, right in boxes]


class EnhanceStage:
    """Square patches, the small ones upscaled together, all at the embedder's
    scale.

    With `patch_scale=None` every patch is resized to `patch_size` square,
    so a pattern's scale follows the garment's size in the photo. With a
    `patch_scale`, each patch keeps its own pixel scale times
    `patch_scale` (1 is the photo's, 2 twice as fine), so the same fabric
    gives the same pattern frequency whatever the garment's size; a patch
    larger than `patch_size` is centre-cropped to it, and sides are rounded
    down to a multiple of 8 (at least 16) so that the embedder sees few
    shapes.

    Args:
        enhancer: an `RRDBNet` (or any super-resolution model), or `None`
            (small patches are then resized bicubically).
        enhance_below: patches whose shorter side is below this are enhanced.
        patch_size: side of the patches given to the embedder, or the
            largest side with a `patch_scale`.
        patch_scale: the pixel scale the embedder sees, relative to the
            photo's, or `None` (every patch at `patch_size`).
    """

    def __init__(
        self,
        enhancer: Any = None,
        enhance_below: int = 48,
        patch_size: int = 64,
        patch_scale: float | None = None,
    ) -> None:
        self.enhancer = enhancer
        self.enhance_below = check_int(enhance_below, "enhance_below", minimum=0)
        self.patch_size = check_int(patch_size, "patch_size", minimum=32)
        if patch_scale is not None:
            patch_scale = check_positive(patch_scale, "patch_scale")
        self.patch_scale = patch_scale

    def get_config(self) -> dict[str, Any]:
        return {
            "enhance_below": self.enhance_below,
            "patch_size": self.patch_size,
            "patch_scale": self.patch_scale,
        }

    def target(self, side: int) -> tuple[int, int]:
        """`(crop, size)` for a square patch of `side` pixels: the centre
        square of `crop` pixels is resized to `size`."""
        if self.patch_scale is None:
            return side, self.patch_size
        size = int(side * self.patch_scale) // 8 * 8
        size = max(16, min(size, self.patch_size))
        return min(side, round(size / self.patch_scale)), size

    def __call__(
        self, cuts: dict[int, list[np.ndarray]], items: Sequence[GroupedItem]
    ) -> dict[int, list[np.ndarray]]:
        """Maps an item's position to its finished square patches; sets
        `enhanced` on the items whose patches were upscaled."""
        squares = {}
        sizes = {}
        for i, cut in cuts.items():
            squares[i], sizes[i] = [], []
            for patch in cut:
                crop, size = self.target(min(patch.shape[:2]))
                squares[i].append(centre_square(centre_square(patch)[:crop, :crop]))
                sizes[i].append(size)
        if self.enhancer is not None:
            small = [
                (i, n)
                for i, chunk in squares.items()
                for n, square in enumerate(chunk)
                if square.shape[0] < self.enhance_below
            ]
            if small:
                enhanced = upscale_patches(
                    self.enhancer, [squares[i][n] for i, n in small], **UPSCALE_BATCHING
                )
                for (i, n), square in zip(small, enhanced, strict=True):
                    squares[i][n] = square
                    items[i].enhanced = True
        return {
            i: [
                square
                if square.shape[0] == size
                else resize_image(square, (size, size))
                for square, size in zip(chunk, sizes[i], strict=True)
            ]
            for i, chunk in squares.items()
        }


def view_count(flip_views: bool | int) -> int:
    """Views per patch: `True` is all four flips, `False` the patch alone."""
    if isinstance(flip_views, bool):
        return 4 if flip_views else 1
    return flip_views


class EmbedStage:
    """Embeds every view of a chunk's patches in one call; an item's
    embedding is the mean of its patches' views.

    Args:
        embedder: a `PatternEmbedder` (or any model with `embed`), or
            `None` until `PatternGrouper.fit` trains one.
        flip_views: embed each patch with its mirror images too (left-right,
            up-down and both) and average them: the embedder was trained
            with those flips as positives, so they are views of one
            pattern, and averaging them cancels what the network still tells
            apart, for as many times the embedding time. `True` is 4 views,
            `False` 1; 2 is the patch and its left-right mirror.
    """

    def __init__(self, embedder: Any = None, flip_views: bool | int = True) -> None:
        self.embedder = embedder
        self.flip_views = (
            bool(flip_views)
            if isinstance(flip_views, bool)
            else check_choice(flip_views, (1, 2, 4), "flip_views")
        )

    def get_config(self) -> dict[str, Any]:
        return {"flip_views": self.flip_views}

    def _embed(self, views):
        embed = self.embedder.embed
        if "batch_size" in inspect.signature(embed).parameters:
            return embed(views, batch_size=EMBED_BATCH)
        return embed(views)

    def __call__(self, patches: Sequence[list[np.ndarray]]) -> np.ndarray | None:
        """One embedding per item, from the list of its patches.

        All views of a size go through the embedder at once (its compiled
        forward pass, in batches of `EMBED_BATCH`). The mean of an item's views is
        rescaled to their mean norm, so a unit-norm embedder still gives
        unit vectors and a single view is left as it is.

        Returns:
            `(len(patches), D)` embeddings, or `None` when there is no patch.
        """
        flips = FLIPS[: view_count(self.flip_views)]
        views = [patch[flip] for chunk in patches for patch in chunk for flip in flips]
        if not views:
            return None
        by_shape = {}
        for n, view in enumerate(views):
            by_shape.setdefault(view.shape, []).append(n)
        vectors = None
        for positions in by_shape.values():
            found = self._embed(np.stack([views[n] for n in positions]))
            if vectors is None:
                vectors = np.empty((len(views), found.shape[-1]), found.dtype)
            vectors[positions] = found
        rows, start = [], 0
        for chunk in patches:
            own = vectors[start : start + len(chunk) * len(flips)]
            mean = own.mean(axis=0)
            norm = max(np.linalg.norm(mean), 1e-12)
            rows.append(mean * np.linalg.norm(own, axis=1).mean() / norm)
            start += len(own)
        return np.stack(rows)
