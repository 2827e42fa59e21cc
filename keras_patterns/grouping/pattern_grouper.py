"""PatternGrouper: the five stages wired into one grouping workflow."""

import inspect
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.clustering.neighbors import NeighborIndex
from keras_patterns.grouping.grouper_io import is_saved_grouper
from keras_patterns.grouping.grouper_io import load_catalogue
from keras_patterns.grouping.grouper_io import load_grouper_parts
from keras_patterns.grouping.grouper_io import preset_grouper_parts
from keras_patterns.grouping.grouper_io import save_grouper
from keras_patterns.grouping.grouper_stages import GrouperStages
from keras_patterns.grouping.grouping_result import GroupingResult
from keras_patterns.grouping.inputs import Images
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.utils.io import NpyWriter
from keras_patterns.utils.presets import resolve_preset
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_non_negative

logger = logging.getLogger(__name__)

GARMENTS = ("top", "dress", "outer", "pants")


class PatternGrouper(GrouperStages):
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

    # === Public API ===

    def fit(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
        *,
        embeddings_path: PathLike | None = None,
    ) -> "PatternGrouper":
        """Embeds `images` and fits the clusterer on them; returns `self`.

        The inputs are streamed: memory holds a chunk of images, one
        embedding and a small result row per input, never the catalogue's
        images (except when the grouper trains its own embedder, which needs
        every patch). The fitted grouper also keeps the embeddings as its
        catalogue for `similar`.

        Args:
            images: photos (with a segmenter) or patches: a folder (walked
                lazily), paths, arrays, a batch array, or any iterable of
                paths or arrays (a generator is consumed once).
            garments: optional class name per input (from catalogue
                metadata) naming the garment to cut the patch from;
                otherwise (or where it is `None`) the largest garment
                region is used.
            embeddings_path: a `.npy` file to write the embeddings to as
                they are computed; the clusterer and the catalogue then read
                them memory-mapped from that file instead of holding them.

        Returns:
            The grouper itself, fitted.
        """
        self._fit_items(images, garments, embeddings_path)
        return self

    def fit_group(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
        *,
        embeddings_path: PathLike | None = None,
    ) -> GroupingResult:
        """`fit` then `group` on the same inputs, processing them only once.

        Args:
            images: photos or patches, as in `fit`.
            garments: optional class name (or `None`) per input, as in `fit`.
            embeddings_path: optional `.npy` file for the embeddings, as in
                `fit`.

        Returns:
            A `GroupingResult`.
        """
        items, embeddings = self._fit_items(images, garments, embeddings_path)
        with self._timed("cluster"):
            groups = self._assign(embeddings)
        for item, group in zip(
            (item for item in items if item.ok), groups, strict=True
        ):
            item.group = int(group)
        return self._result(items, embeddings)

    def _fit_items(self, images, garments, embeddings_path=None):
        if self.embedder is None:  # trains on the patches: keeps them all
            items = self._process(images, garments, embed=False, keep=True)
            ok = [item for item in items if item.ok]
            if ok:
                self._train_embedder(ok)
            embeddings = (
                np.stack([item.embedding for item in ok]) if ok else np.zeros((0, 0))
            )
            if embeddings_path is not None and ok:
                with NpyWriter(embeddings_path) as writer:
                    writer.append(embeddings)
        else:
            items, embeddings = self._stream(images, garments, embeddings_path)
            ok = [item for item in items if item.ok]
        if not ok:
            raise ValueError(
                "No input could be embedded: "
                + "; ".join(f"{item.source}: {item.error}" for item in items[:5])
            )
        wanted = getattr(self.clusterer, "n_clusters", None)
        if isinstance(wanted, int) and wanted > len(ok):
            raise ValueError(
                f"The clusterer asks for {wanted} groups but only {len(ok)} of "
                f"{len(items)} inputs could be embedded (see the failures: "
                f"{sum(not item.ok for item in items)}). Use fewer groups, "
                'n_clusters="auto", or more inputs.'
            )
        if self.clusterer is None:
            # KMeans lowers k_range's top to n - 1 itself, and fits one
            # group on 1 or 2 inputs.
            self.clusterer = KMeans("auto", metric="cosine", random_state=0)
        with self._timed("cluster"):
            self.clusterer.fit(embeddings)
            self._index_catalogue(ok, embeddings)
        return items, embeddings

    def _index_catalogue(self, ok, embeddings):
        """Keeps the fitted inputs' embeddings as the catalogue of `similar`.

        The search index is built on the first `similar` call, so a fit
        that never searches does not pay for it.
        """
        self.catalogue_embeddings_ = embeddings
        self.catalogue_index_ = np.array([item.index for item in ok], np.int64)
        self.catalogue_sources_ = [item.source for item in ok]
        self.neighbors_ = None

    def _assign(self, embeddings, block=65536):
        """The clusterer's group of each row, a block of rows at a time."""
        if not len(embeddings):
            return np.zeros(0, np.int64)
        return np.concatenate(
            [
                self.clusterer.predict(np.asarray(embeddings[start : start + block]))
                for start in range(0, len(embeddings), block)
            ]
        )

    def group(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
        *,
        embeddings_path: PathLike | None = None,
    ) -> GroupingResult:
        """Groups `images` with the clusterer; returns a `GroupingResult`.

        A fitted clusterer assigns the inputs to its groups, a chunk at a
        time as they stream through. An unfitted one (as `from_preset`
        gives) is first fitted on `images`, like `fit_group`: the groups
        are found among them, and later calls assign to those groups.
        Inputs that cannot be read or hold no garment are kept in the
        result with `group=-1` and the reason in `failures`; nothing is
        dropped.

        Args:
            images: photos or patches, as in `fit`.
            garments: optional class name (or `None`) per input, as in `fit`.
            embeddings_path: optional `.npy` file for the embeddings, written
                as they are computed (`GroupingResult.embeddings` then maps
                it rather than holding it).

        Returns:
            A `GroupingResult`.
        """
        if self.clusterer is not None and not self._fitted():
            logger.info("The clusterer is not fitted yet: finding the groups anew.")
            return self.fit_group(images, garments, embeddings_path=embeddings_path)
        self._check_fitted()
        items, embeddings = self._stream(images, garments, embeddings_path, assign=True)
        return self._result(items, embeddings)

    def embed(
        self,
        images: Images,
        garments: Sequence[str | None] | None = None,
        *,
        embeddings_path: PathLike | None = None,
    ) -> GroupingResult:
        """Runs the stages up to the embeddings, without finding groups.

        Each item of the result has its `embedding` (or its `error`); its
        `group` is assigned when the grouper is fitted, else -1. This is
        the step to spread over workers (`keras_patterns.integrations.ray`)
        or to run before clustering elsewhere.

        Args:
            images: photos or patches, as in `fit`.
            garments: optional class name (or `None`) per input, as in `fit`.
            embeddings_path: optional `.npy` file for the embeddings, as in
                `group`.

        Returns:
            A `GroupingResult`.

        Example:

        >>> import keras_patterns as kp
        >>> patches = kp.datasets.make_pattern_patches(4, (64, 64))["images"]
        >>> grouper = kp.PatternGrouper.from_preset("patterns_synthetic",
        ...                                         progress=False)
        >>> grouper.embed(list(patches)).embeddings.shape
        (4, 128)
        """
        if self.embedder is None:
            raise ValueError(
                "embed() needs an embedder: give one to PatternGrouper(...) "
                "or call fit() first, which trains one."
            )
        items, embeddings = self._stream(
            images, garments, embeddings_path, assign=self._fitted()
        )
        return self._result(items, embeddings)

    def _fitted(self):
        return hasattr(self.clusterer, "cluster_centers_")

    def _check_fitted(self):
        if self.clusterer is None or not self._fitted():
            raise ValueError(
                "The grouper is not fitted: call fit() (or load a fitted one)."
            )

    def _result(self, items, embeddings):
        centroids = (
            self.clusterer.cluster_centers_
            if self._fitted()
            else np.zeros((0, embeddings.shape[-1]))
        )
        return GroupingResult(items, centroids, dict(self.timings_))

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

    def similar(
        self,
        images: Images,
        k: int = 10,
        garments: Sequence[str | None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` catalogue products whose pattern is closest to each input.

        "More like this": the catalogue is what the grouper was fitted on;
        distances are in the clusterer's metric (cosine: `1 - cos`), each
        row nearest first, as scikit-learn's `NearestNeighbors.kneighbors`
        gives them. The search is exact for small catalogues and through
        faiss (an IVF index) for large ones when faiss is installed (see
        `keras_patterns.clustering.NeighborIndex`). The catalogue is saved
        and loaded with the grouper.

        Args:
            images: query photos or patches, as in `fit`.
            k: neighbours per query.
            garments: optional class name (or `None`) per query, as in `fit`.

        Returns:
            `(distances, indices)`, both `(n_queries, k)`: `indices` are
            positions in the inputs `fit` was given (`catalogue_sources_`
            maps them to sources via `catalogue_index_`); a query that
            failed gets distances NaN and indices -1, and is logged.
        Example:

        >>> import keras_patterns as kp
        >>> patches = kp.datasets.make_pattern_patches(6, (64, 64))["images"]
        >>> grouper = kp.PatternGrouper.from_preset("patterns_synthetic",
        ...                                         progress=False)
        >>> result = grouper.fit_group(list(patches))
        >>> distances, indices = grouper.similar([patches[2]], k=3)
        >>> int(indices[0, 0]), indices.shape  # itself first
        (2, (1, 3))
        """
        if getattr(self, "catalogue_embeddings_", None) is None:
            raise ValueError(
                "similar() needs the catalogue the grouper was fitted on: call "
                "fit() (a grouper saved before similar() existed has none: fit "
                "it again)."
            )
        if getattr(self, "neighbors_", None) is None:
            logger.info(
                "Indexing the %d catalogue embeddings for similar().",
                len(self.catalogue_embeddings_),
            )
            metric = getattr(self.clusterer, "metric", "euclidean")
            self.neighbors_ = NeighborIndex(metric=metric).fit(
                self.catalogue_embeddings_
            )
        k = check_int(k, "k", minimum=1)
        items, embeddings = self._stream(images, garments)
        distances = np.full((len(items), k), np.nan)
        indices = np.full((len(items), k), -1, np.int64)
        ok = np.array([item.ok for item in items], bool)
        if ok.any():
            found, rows = self.neighbors_.kneighbors(embeddings, k)
            distances[ok], indices[ok] = found, self.catalogue_index_[rows]
        for item in items:
            if not item.ok:
                logger.warning(
                    "similar(): query %s failed: %s", item.source, item.error
                )
        return distances, indices

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
        grouper = cls(**load_grouper_parts(directory), progress=progress)
        grouper.__dict__.update(load_catalogue(directory), neighbors_=None)
        return grouper

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
        grouper = cls(**preset_grouper_parts(preset, overrides))
        directory = resolve_preset(preset)
        if is_saved_grouper(directory):
            grouper.__dict__.update(load_catalogue(directory), neighbors_=None)
        return grouper
