"""PatternGrouper: the five stages wired into one grouping workflow."""

import contextlib
import inspect
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import keras
import numpy as np
from PIL import Image

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.embedding.training import train_embedder_on_patches
from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.grouping.grouper_io import load_grouper_parts
from keras_patterns.grouping.grouper_io import preset_grouper_parts
from keras_patterns.grouping.grouper_io import save_grouper
from keras_patterns.grouping.grouping_result import GroupedItem
from keras_patterns.grouping.grouping_result import GroupingResult
from keras_patterns.grouping.grouping_result import thumbnail
from keras_patterns.grouping.inputs import Images
from keras_patterns.grouping.inputs import list_inputs
from keras_patterns.grouping.inputs import read_input
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.patches.extract import extract_patches
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.utils.images import centre_square
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.progress import progress_bar
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_non_negative

logger = logging.getLogger(__name__)

GARMENTS = ("top", "dress", "outer", "pants")
# A patch and its mirror images (as indexes): as is, left-right, up-down, both.
FLIPS = tuple(
    (slice(None, None, r), slice(None, None, c)) for r in (1, -1) for c in (1, -1)
)
# How `_finish` batches small patches through the enhancer.
UPSCALE_BATCHING = {"pad_to": 8, "batch_size": 32}
# Patch views per forward pass of the embedder.
EMBED_BATCH = 128
# Threads decoding the next chunk's files while the current one is computed.
READ_WORKERS = 4
# Photos are segmented and patches placed at most this many times the
# segmenter's input size (`PatternGrouper._working_photo`).
CUT_SCALE = 2
STAGES = ("read", "segment", "cut", "enhance", "train", "embed", "cluster")


def _view_count(flip_views):
    """Views per patch: `True` is all four flips, `False` the patch alone."""
    if isinstance(flip_views, bool):
        return 4 if flip_views else 1
    return flip_views


class PatternGrouper:
    """Groups product photographs (or patches) by the pattern of their fabric.

    Chains the stages: an optional **segmenter** labels garment pixels, the
    **patch extractor** cuts up to `patches_per_item` disjoint squares inside
    the product's garment (the largest first), an optional **enhancer**
    upscales patches smaller than `enhance_below`, the **embedder** maps
    each patch to a vector (an input's vector is the mean of its patches'),
    and the **clusterer** groups the vectors. Enter at any stage: with a
    segmenter, inputs are photographs; without one, they are patches
    (enhanced when small, or not at all without an enhancer). What the
    defaults of `patches_per_item`, `garment_prior` and `flip_views` gain
    on the demo catalogue is measured in the documentation's Measurements
    page.

    Args:
        segmenter: a `DeepLabV3Plus` (or any model with `predict_labels`),
            or `None` when the inputs are patches.
        enhancer: an `RRDBNet` (or any super-resolution model), or `None`
            (small patches are then resized bicubically).
        embedder: a `PatternEmbedder` (or any model with `embed`), or `None`:
            `fit` then trains one on the inputs' own patches for
            `embedder_steps` steps (each patch its own class, augmented
            views as positives; see
            `keras_patterns.embedding.train_embedder_on_patches`).
        clusterer: a `keras_patterns.clustering.KMeans`; default
            `KMeans("auto", metric="cosine")`, fitted by `fit`.
        patch_size: side of the square patches given to the embedder.
        enhance_below: patches whose shorter side is below this are enhanced.
        segment_size: `(height, width)` photos are resized to for the
            segmenter (the size it was trained at); `None` keeps them.
        classes: garment classes a patch may come from.
        label_names: class names of the segmenter's ids (default: the 9-class
            set for 9 outputs, else the 16 In-shop classes).
        min_patch: smallest patch side kept, in photo pixels.
        margin: pixels kept away from garment edges (an int), or a share of
            the region's smaller side (a float below 0.5).
        patch_shape: `"square"` cuts the largest square inside the garment
            (the embedder sees all of it); `"rectangle"` the largest
            rectangle, centre-cropped to a square.
        patches_per_item: patches cut from each photo's garment (the
            largest, then the largest in what is left, ...); the input's
            embedding is their mean, so one patch spoiled by a segmentation
            error (a strip of skin or background) weighs less.
        garment_prior: when `garments` name each photo's product, the
            log-prior added to that garment's logits before the patch is
            cut (`segmentation.garment_labels`): pixels the segmenter gives
            to a similar garment (a top for a dress) go to the named one
            when it nearly won them. 0 turns it off; needs a segmenter with
            `predict_logits`.
        flip_views: embed each patch with its mirror images too (left-right,
            up-down and both) and average the four: the embedder was trained
            with those flips as positives, so they are four views of one
            pattern, and averaging them cancels what the network still tells
            apart, for four times the embedding time. `True` is 4 views,
            `False` 1; 2 is the patch and its left-right mirror.
        batch_size: inputs processed together.
        embedder_steps: optimiser steps when `fit` trains the embedder.
        keep_patches: keep each result item's finished patches and a
            thumbnail of its photo (`GroupedItem.patches`, `.thumbnail`).
            Off by default, so a result holds a few hundred bytes per input
            rather than its images; contact sheets re-read the sources.
        progress: show progress bars.

    Example:

    >>> import keras_patterns as kp
    >>> patches = kp.datasets.make_pattern_patches(12, (48, 48))["images"]
    >>> embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    >>> grouper = kp.PatternGrouper(embedder=embedder, progress=False,
    ...                             clusterer=kp.clustering.KMeans(3, random_state=0))
    >>> result = grouper.fit_group(patches)
    >>> len(result.groups) <= 3, result.failures
    (True, [])
    """

    def __init__(
        self,
        segmenter: keras.Model | Any | None = None,
        enhancer: keras.Model | None = None,
        embedder: keras.Model | Any | None = None,
        clusterer: KMeans | None = None,
        *,
        patch_size: int = 64,
        enhance_below: int = 48,
        segment_size: Size | None = None,
        classes: Sequence[str] = GARMENTS,
        label_names: Sequence[str] | None = None,
        min_patch: int = 8,
        margin: int | float = 2,
        patch_shape: str = "square",
        patches_per_item: int = 5,
        garment_prior: float = 1.5,
        flip_views: bool | int = True,
        batch_size: int = 32,
        embedder_steps: int = 300,
        keep_patches: bool = False,
        progress: bool = True,
    ) -> None:
        self.segmenter = segmenter
        self.enhancer = enhancer
        self.embedder = embedder
        self.clusterer = clusterer
        self.patch_size = check_int(patch_size, "patch_size", minimum=32)
        self.enhance_below = check_int(enhance_below, "enhance_below", minimum=0)
        self.segment_size = None if segment_size is None else tuple(segment_size)
        self.classes = tuple(classes)
        if label_names is None:
            outputs = getattr(segmenter, "num_classes", len(NINE_CLASSES))
            label_names = (
                NINE_CLASSES if outputs == len(NINE_CLASSES) else INSHOP_CLASSES
            )
        self.label_names = tuple(label_names)
        self.min_patch = check_int(min_patch, "min_patch")
        self.margin = margin
        self.patch_shape = check_choice(
            patch_shape, ("square", "rectangle"), "patch_shape"
        )
        self.patches_per_item = check_int(patches_per_item, "patches_per_item")
        self.garment_prior = check_non_negative(garment_prior, "garment_prior")
        self.flip_views = (
            bool(flip_views)
            if isinstance(flip_views, bool)
            else check_choice(flip_views, (1, 2, 4), "flip_views")
        )
        self.batch_size = check_int(batch_size, "batch_size")
        self.embedder_steps = check_int(embedder_steps, "embedder_steps")
        self.keep_patches = bool(keep_patches)
        self.progress = progress

    # === Stages ===

    def _working_photo(self, photo):
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

    def _cut(self, item, photo, working, labels, garment, factor):
        """The patches of `photo`, placed on `working` (`factor` times smaller)."""
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
        if len(classes) > 1:  # the garment with the largest patch, found first
            largest = extract_patches(
                working, labels, classes, max_patches=1, **options
            )
            classes = tuple(patch.class_name for patch in largest)
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
        item.box, item.class_name = boxes[0], patches[0].class_name
        return [photo[top:bottom, left:right] for top, left, bottom, right in boxes]

    def _finish(self, cuts, items):
        """Square crops; small ones enhanced together; all resized to `patch_size`.

        `cuts` maps an item's position to its raw patches; returns the same
        mapping to the finished `(patch_size, patch_size, 3)` patches.
        """
        squares = {i: [centre_square(p) for p in cut] for i, cut in cuts.items()}
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
        side = (self.patch_size, self.patch_size)
        return {
            i: [
                square if square.shape[:2] == side else resize_image(square, side)
                for square in chunk
            ]
            for i, chunk in squares.items()
        }

    @contextlib.contextmanager
    def _timed(self, stage):
        began = time.perf_counter()
        yield
        elapsed = time.perf_counter() - began
        self.timings_[stage] = self.timings_.get(stage, 0.0) + elapsed

    def _process(self, images, garments, embed=True, keep=None):
        """Every input through the stages, chunk by chunk; a `GroupedItem` each.

        The next chunk's files are decoded on a thread pool while the
        current chunk runs through the networks. `keep` (default
        `keep_patches`) keeps each item's patches and thumbnail.
        """
        entries = list_inputs(images)
        if garments is not None and len(garments) != len(entries):
            raise ValueError(
                '"garments" must hold one class name (or None) per input: '
                f"{len(entries)} inputs, {len(garments)} garments"
            )
        keep = self.keep_patches if keep is None else keep
        self.timings_ = dict.fromkeys(STAGES, 0.0)
        size = self.batch_size
        items = []
        with (
            progress_bar(len(entries), "image", self.progress) as bar,
            ThreadPoolExecutor(READ_WORKERS) as pool,
        ):
            reads = [pool.submit(read_input, entry) for _, entry in entries[:size]]
            for start in range(0, len(entries), size):
                chunk = entries[start : start + size]
                with self._timed("read"):
                    images = [read.result() for read in reads]
                following = entries[start + size : start + 2 * size]
                reads = [pool.submit(read_input, entry) for _, entry in following]
                items += self._process_chunk(
                    chunk, images, start, garments, embed, keep
                )
                bar.update(len(chunk))
        return items

    def _process_chunk(self, chunk, images, start, garments, embed, keep):
        items = []
        for offset, (source, entry) in enumerate(chunk):
            item = GroupedItem(index=start + offset, source=source)
            if isinstance(images[offset], str):
                item.error, images[offset] = images[offset], None
            elif not isinstance(entry, Path):
                item.input = entry
            items.append(item)
        alive = [i for i, image in enumerate(images) if image is not None]
        with self._timed("segment"):
            working = (
                {i: self._working_photo(images[i]) for i in alive}
                if self.segmenter
                else {}
            )
            maps = (
                garment_label_maps(
                    self.segmenter,
                    [working[i][0] for i in alive],
                    [None if garments is None else garments[start + i] for i in alive],
                    self.garment_prior,
                    self.segment_size,
                    self.batch_size,
                    self.classes,
                    self.label_names,
                )
                if self.segmenter
                else None
            )
        cuts = {}
        with self._timed("cut"):
            for position, i in enumerate(alive):
                item, image = items[i], images[i]
                if self.segmenter is not None:
                    garment = None if garments is None else garments[item.index]
                    small, factor = working[i]
                    cut = self._cut(item, image, small, maps[position], garment, factor)
                else:
                    cut, item.box = [image], (0, 0, *image.shape[:2])
                if cut:
                    cuts[i] = cut
        with self._timed("enhance"):
            patches = self._finish(cuts, items)
        if embed:
            self._embed([items[i] for i in patches], list(patches.values()))
        if keep:
            for i, finished in patches.items():
                items[i].patches = finished
                items[i].thumbnail = thumbnail(
                    images[i], items[i].box if self.segmenter else None
                )
        return items

    def _embed(self, items, patches):
        """Fills `item.embedding`: the mean of its patches' embeddings.

        All views of the chunk go through the embedder in one call (its
        compiled forward pass, in batches of `EMBED_BATCH`). With
        `flip_views`, each patch counts as its flips. The mean is
        rescaled to the views' mean norm, so a unit-norm embedder still
        gives unit vectors and a single view is left as it is.
        """
        flips = FLIPS[: _view_count(self.flip_views)]
        views = [patch[flip] for chunk in patches for patch in chunk for flip in flips]
        if not views:
            return
        with self._timed("embed"):
            embed = self.embedder.embed
            if "batch_size" in inspect.signature(embed).parameters:
                vectors = embed(np.stack(views), batch_size=EMBED_BATCH)
            else:
                vectors = embed(np.stack(views))
        start = 0
        for item, chunk in zip(items, patches, strict=True):
            count = len(chunk) * len(flips)
            own = vectors[start : start + count]
            mean = own.mean(axis=0)
            norm = max(np.linalg.norm(mean), 1e-12)
            item.embedding = mean * np.linalg.norm(own, axis=1).mean() / norm
            start += count

    def _train_embedder(self, items):
        with self._timed("train"):
            self.embedder = train_embedder_on_patches(
                np.stack([item.patch for item in items]),
                steps=self.embedder_steps,
                verbose=2 if self.progress else 0,
            )
        self._embed(items, [item.patches for item in items])
        if not self.keep_patches:
            for item in items:
                item.patches, item.thumbnail = [], None

    # === Public API ===

    def fit(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
    ) -> "PatternGrouper":
        """Embeds `images` and fits the clusterer on them; returns `self`.

        Args:
            images: photos (with a segmenter) or patches: a folder, paths,
                arrays or a batch array.
            garments: optional class name per input (from catalogue
                metadata) naming the garment to cut the patch from;
                otherwise (or where it is `None`) the largest garment
                region is used.

        Returns:
            The grouper itself, fitted.
        """
        self._fit_items(images, garments)
        return self

    def fit_group(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
    ) -> GroupingResult:
        """`fit` then `group` on the same inputs, processing them only once.

        Args:
            images: photos or patches, as in `fit`.
            garments: optional class name (or `None`) per input, as in `fit`.

        Returns:
            A `GroupingResult`.
        """
        return self._result(self._fit_items(images, garments))

    def _fit_items(self, images, garments):
        training = self.embedder is None  # trains on the patches: keep them
        items = self._process(
            images, garments, embed=not training, keep=self.keep_patches or training
        )
        ok = [item for item in items if item.ok]
        if not ok:
            raise ValueError(
                "No input could be embedded: "
                + "; ".join(f"{item.source}: {item.error}" for item in items[:5])
            )
        if self.embedder is None:
            self._train_embedder(ok)
        wanted = getattr(self.clusterer, "n_clusters", None)
        if isinstance(wanted, int) and wanted > len(ok):
            raise ValueError(
                f"The clusterer asks for {wanted} groups but only {len(ok)} of "
                f"{len(items)} inputs could be embedded (see the failures: "
                f"{sum(not item.ok for item in items)}). Use fewer groups, "
                'n_clusters="auto", or more inputs.'
            )
        if self.clusterer is None:
            self.clusterer = KMeans(
                "auto",
                k_range=(2, min(20, len(ok) - 1)),
                metric="cosine",
                random_state=0,
            )
        with self._timed("cluster"):
            self.clusterer.fit(np.stack([item.embedding for item in ok]))
        return items

    def group(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
    ) -> GroupingResult:
        """Groups `images` with the clusterer; returns a `GroupingResult`.

        A fitted clusterer assigns the inputs to its groups. An unfitted one
        (as `from_preset` gives) is first fitted on `images`, like
        `fit_group`: the groups are found among them, and later calls
        assign to those groups. Inputs that cannot be read or hold no
        garment are kept in the result with `group=-1` and the reason in
        `failures`; nothing is dropped.

        Args:
            images: photos or patches, as in `fit`.
            garments: optional class name (or `None`) per input, as in `fit`.

        Returns:
            A `GroupingResult`.
        """
        if self.clusterer is not None and not self._fitted():
            logger.info("The clusterer is not fitted yet: finding the groups anew.")
            return self.fit_group(images, garments)
        self._check_fitted()
        return self._result(self._process(images, garments))

    def _fitted(self):
        return hasattr(self.clusterer, "cluster_centers_")

    def _check_fitted(self):
        if self.clusterer is None or not self._fitted():
            raise ValueError(
                "The grouper is not fitted: call fit() (or load a fitted one)."
            )

    def _result(self, items):
        ok = [item for item in items if item.ok]
        if ok:
            with self._timed("cluster"):
                groups = self.clusterer.predict(
                    np.stack([item.embedding for item in ok])
                )
            for item, group in zip(ok, groups, strict=True):
                item.group = int(group)
        return GroupingResult(
            items, self.clusterer.cluster_centers_, dict(self.timings_)
        )

    def predict(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
    ) -> np.ndarray:
        """Assigns new products to the existing groups.

        Args:
            images: photos or patches, as in `fit`.
            garments: optional class name (or `None`) per input, as in `fit`.

        Returns:
            The group id of each input, -1 where the input failed.
        """
        self._check_fitted()
        return self.group(images, garments).assignments

    # === Persistence ===

    def save(self, directory: PathLike) -> Path:
        """Saves the models (`.keras`), the clusterer and a JSON config.

        Every file is written atomically; `PatternGrouper.load(directory)`
        reads them back. The clusterer must be a fitted
        `keras_patterns.clustering.KMeans`.

        Args:
            directory: the folder to write, created if missing.

        Returns:
            `directory`, as a `Path`.
        """
        return save_grouper(self, directory)

    @classmethod
    def load(cls, directory: PathLike, progress: bool = True) -> "PatternGrouper":
        """Loads a grouper written by `save` (models with `safe_mode=True`).

        Args:
            directory: a folder written by `save`.
            progress: show progress bars.

        Returns:
            The grouper, fitted: its clusterer holds the saved groups.
        """
        return cls(**load_grouper_parts(directory), progress=progress)

    @classmethod
    def from_preset(cls, preset: PathLike, **overrides: Any) -> "PatternGrouper":
        """A grouper from an embedder preset, or a grouper saved by `save`.

        An embedder preset (see `PatternEmbedder.from_preset`: an installed
        name such as `"patterns_synthetic"`, a folder written by
        `save_to_preset`, an `hf://` or `kaggle://` handle) gives a grouper
        of patches or swatches, ready without training: the preset's
        embedder, no segmenter (each input is one patch), the `patch_size`
        the embedder was trained at and an unfitted
        `KMeans("auto", metric="cosine")`, which `group` fits on its
        inputs. A folder written by `save` gives that grouper, fitted.

        Args:
            preset: an embedder preset, or a folder written by `save`.
            **overrides: `PatternGrouper` arguments replacing the preset's
                (`clusterer=KMeans(6, metric="cosine")`, `flip_views=False`,
                `progress=False`...); `embedder` only for a saved grouper.

        Returns:
            The grouper.

        Example:

        >>> import keras_patterns as kp
        >>> patches = kp.datasets.make_pattern_patches(6, (64, 64))["images"]
        >>> grouper = kp.PatternGrouper.from_preset("patterns_synthetic",
        ...                                         progress=False)
        >>> result = grouper.group(list(patches))
        >>> len(result), result.failures
        (6, [])
        """
        accepted = inspect.signature(cls).parameters
        unknown = sorted(set(overrides) - set(accepted))
        if unknown:
            raise ValueError(
                f"The overrides must be PatternGrouper arguments ({', '.join(accepted)}"
                f"). Received: {', '.join(unknown)}"
            )
        return cls(**preset_grouper_parts(preset, overrides))
