"""PatternGrouper: the five stages composed into one grouping workflow.

A grouper is a pipeline of stage objects (`GroupingPipeline` of the
`grouping.stages`: read, segment, cut, enhance, embed), a clusterer, and,
once fitted, the `Catalogue` of what it was fitted on. `group` reads
top-down: `_run` takes each chunk of inputs through the pipeline
(`GroupingPipeline.chunks`, then `through_stages`), assigns its embeddings
to the groups and stores them once; the result holds a row per input.
"""

import contextlib
import logging
import time
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.grouping.catalogue import Catalogue
from keras_patterns.grouping.catalogue import CatalogueField
from keras_patterns.grouping.fitting import assign
from keras_patterns.grouping.fitting import fit_clusterer
from keras_patterns.grouping.fitting import train_catalogue_embedder
from keras_patterns.grouping.grouper_io import GrouperFiles
from keras_patterns.grouping.grouping_result import GroupingResult
from keras_patterns.grouping.inputs import Garments
from keras_patterns.grouping.inputs import Images
from keras_patterns.grouping.pipeline import GroupingPipeline
from keras_patterns.grouping.pipeline import StageSetting
from keras_patterns.grouping.stages import CutStage
from keras_patterns.grouping.stages import EmbedStage
from keras_patterns.grouping.stages import EnhanceStage
from keras_patterns.grouping.stages import ReadStage
from keras_patterns.grouping.stages import SegmentStage
from keras_patterns.modeling.labels import GARMENT_CLASSES
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_int

logger = logging.getLogger(__name__)

# What `timings_` and `GroupingResult.timings` report, in seconds.
STAGES = ("read", "segment", "cut", "enhance", "train", "embed", "cluster")


class PatternGrouper(GrouperFiles):
    """Groups product photographs (or patches) by the pattern of their fabric.

    A pipeline of stages (`pipeline`, a `GroupingPipeline`), each owning
    its settings: an optional **segmenter** labels garment pixels, the
    **cut** stage takes up to `patches_per_item` disjoint squares inside
    the product's garment, an optional **enhancer** upscales the small
    ones, the **embedder** maps each patch to a vector (an input's vector
    is the mean of its patches'), and the **clusterer** groups the vectors.
    Enter at any stage: with a segmenter, inputs are photographs; without
    one, they are patches. Each stage setting is also an attribute of the
    grouper (`grouper.patch_size`), read and set on its stage. What the
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
        patch_size, patch_scale, enhance_below: the enhance stage's settings
            (see `grouping.stages.EnhanceStage`): patches go to the embedder
            at `patch_size` or, with a `patch_scale`, at their own pixel
            scale times `patch_scale` (at most `patch_size`), so a fabric's
            pattern frequency does not depend on the garment's size in the
            photo; those below `enhance_below` are enhanced first.
        segment_size, garment_prior, garment_prior_below, label_names: the
            segment stage's (`grouping.stages.SegmentStage`): the size
            photos are segmented at, the log-prior of a garment that
            `garments` names (applied only where the segmenter gave it less
            than `garment_prior_below` of the pixels, when that is set), the
            class names of the segmenter's ids.
        frame_scale: the segment stage's too: with `segment_size`, count
            `patch_scale`, `min_patch`, `margin` and `small_patch` in the
            pixels of each photo fitted to `segment_size` (its frame) rather
            than its own, so a photo's resolution changes neither where the
            patches lie nor the pattern frequency the embedder sees.
        classes, garment_choice, garment_probe, texture_squares, small_patch:
            the cut stage's (`grouping.stages.CutStage`): which garments a
            patch may come from, and which one when none is named (the
            largest, the most textured, or the patches a linear probe on the
            embedder's embeddings finds patterned: the patterned product),
            how many squares of the garments' textured part join the
            candidates, and the side under which a candidate counts only in
            a photo that has no larger one.
        min_patch, margin, patch_shape, patches_per_item: the cut stage's
            too: how many patches, of what size and shape.
        flip_views: the embed stage's (`grouping.stages.EmbedStage`): embed
            each patch with its mirror images too and average them.
        batch_size: inputs read and processed together
            (`grouping.stages.ReadStage`), and photos per segmenter pass.
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

    # Each stage's settings, read and set through the grouper.
    segmenter = StageSetting("segment")
    segment_size = StageSetting("segment")
    garment_prior = StageSetting("segment")
    garment_prior_below = StageSetting("segment")
    frame_scale = StageSetting("segment")
    label_names = StageSetting("segment", "cut")
    classes = StageSetting("segment", "cut")
    min_patch = StageSetting("cut")
    margin = StageSetting("cut")
    patch_shape = StageSetting("cut")
    patches_per_item = StageSetting("cut")
    garment_choice = StageSetting("cut")
    garment_probe = StageSetting("cut")
    texture_squares = StageSetting("cut")
    small_patch = StageSetting("cut")
    enhancer = StageSetting("enhance")
    enhance_below = StageSetting("enhance")
    patch_size = StageSetting("enhance")
    patch_scale = StageSetting("enhance")
    embedder = StageSetting("embed")
    flip_views = StageSetting("embed")
    batch_size = StageSetting("read", "segment")

    def __init__(
        self,
        segmenter: keras.Model | Any | None = None,
        enhancer: keras.Model | None = None,
        embedder: keras.Model | Any | None = None,
        clusterer: KMeans | None = None,
        *,
        patch_size: int = 64,
        patch_scale: float | None = None,
        enhance_below: int = 48,
        segment_size: Size | None = None,
        classes: Sequence[str] = GARMENT_CLASSES,
        label_names: Sequence[str] | None = None,
        min_patch: int = 8,
        margin: int | float = 2,
        patch_shape: str = "square",
        patches_per_item: int = 5,
        garment_choice: str = "largest",
        garment_probe: Mapping[str, Any] | None = None,
        texture_squares: int = 0,
        small_patch: int = 0,
        garment_prior: float = 1.5,
        garment_prior_below: float | None = None,
        frame_scale: bool = False,
        flip_views: bool | int = True,
        batch_size: int = 32,
        embedder_steps: int = 300,
        keep_patches: bool = False,
        progress: bool = True,
    ) -> None:
        segment = SegmentStage(
            segmenter,
            segment_size,
            garment_prior,
            classes,
            label_names,
            batch_size,
            garment_prior_below,
            frame_scale,
        )
        self.pipeline = GroupingPipeline(
            read=ReadStage(batch_size),
            segment=segment,
            cut=CutStage(
                classes,
                segment.label_names,
                min_patch,
                margin,
                patch_shape,
                patches_per_item,
                garment_choice,
                garment_probe,
                texture_squares,
                small_patch,
            ),
            enhance=EnhanceStage(enhancer, enhance_below, patch_size, patch_scale),
            embed=EmbedStage(embedder, flip_views),
        )
        self.clusterer = clusterer
        self.embedder_steps = check_int(embedder_steps, "embedder_steps")
        self.keep_patches = bool(keep_patches)
        self.progress = progress
        self.catalogue: Catalogue | None = None
        self.timings_: dict[str, float] = {}

    def get_config(self) -> dict[str, Any]:
        """The grouper's settings (every stage's, and its own), as saved."""
        return {**self.pipeline.get_config(), "embedder_steps": self.embedder_steps}

    @property
    def is_fitted(self) -> bool:
        """Whether the clusterer holds groups (`fit`, `load`), so `group`
        assigns to them rather than finding them."""
        return hasattr(self.clusterer, "cluster_centers_")

    # === Public API ===

    def fit(
        self,
        images: Images,
        garments: Garments | None = None,
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
            garments: the garment to cut each photo's patch from (from
                catalogue metadata): a class name (or `None`) per input, or
                a mapping from an input's path or file name to one; where
                there is none, the cut stage chooses.
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
        garments: Garments | None = None,
        *,
        embeddings_path: PathLike | None = None,
    ) -> GroupingResult:
        """`fit` then `group` on the same inputs, processing them only once.

        Args:
            images, garments, embeddings_path: as in `fit`.

        Returns:
            A `GroupingResult`.
        """
        items, embeddings = self._fit_items(images, garments, embeddings_path)
        with self._timed("cluster"):
            groups = assign(self.clusterer, embeddings)
        for item, group in zip(
            (item for item in items if item.ok), groups, strict=True
        ):
            item.group = int(group)
        return self._result(items, embeddings)

    def group(
        self,
        images: Images,
        garments: Garments | None = None,
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
            images, garments: as in `fit`.
            embeddings_path: optional `.npy` file for the embeddings, written
                as they are computed (`GroupingResult.embeddings` then maps
                it rather than holding it).

        Returns:
            A `GroupingResult`.
        """
        if self.clusterer is not None and not self.is_fitted:
            logger.info("The clusterer is not fitted yet: finding the groups anew.")
            return self.fit_group(images, garments, embeddings_path=embeddings_path)
        self._check_fitted()
        items, embeddings = self._run(images, garments, embeddings_path, assign=True)
        return self._result(items, embeddings)

    def embed(
        self,
        images: Images,
        garments: Garments | None = None,
        *,
        embeddings_path: PathLike | None = None,
    ) -> GroupingResult:
        """Runs the stages up to the embeddings, without finding groups.

        Each item of the result has its `embedding` (or its `error`); its
        `group` is assigned when the grouper is fitted, else -1. This is
        the step to spread over workers (`keras_patterns.integrations.ray`)
        or to run before clustering elsewhere.

        Args:
            images, garments, embeddings_path: as in `group`.

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
        items, embeddings = self._run(
            images, garments, embeddings_path, assign=self.is_fitted
        )
        return self._result(items, embeddings)

    def predict(
        self,
        images: Images,
        garments: Garments | None = None,
    ) -> np.ndarray:
        """Assigns new products to the existing groups.

        Args:
            images, garments: as in `fit`.

        Returns:
            The group id of each input, -1 where the input failed.
        """
        self._check_fitted()
        return self.group(images, garments).assignments

    def similar(
        self,
        images: Images,
        k: int = 10,
        garments: Garments | None = None,
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
        if self.catalogue is None:
            raise ValueError(
                "similar() needs the catalogue the grouper was fitted on: call "
                "fit() (a grouper saved before similar() existed has none: fit "
                "it again)."
            )
        k = check_int(k, "k", minimum=1)
        return self.catalogue.search(*self._run(images, garments), k)

    # The fitted catalogue, as `similar` documents it (`None` before `fit`).
    catalogue_embeddings_ = CatalogueField("embeddings")
    catalogue_index_ = CatalogueField("index")
    catalogue_sources_ = CatalogueField("sources")

    # === Fitting ===

    def _fit_items(self, images, garments, embeddings_path=None):
        """Embeds `images` (training the embedder first if there is none),
        fits the clusterer and keeps the catalogue; `(items, embeddings)`."""
        if self.embedder is None:  # trains one on the inputs' own patches
            items, embeddings = self._train_embedder(images, garments, embeddings_path)
        else:
            items, embeddings = self._run(images, garments, embeddings_path)
        with self._timed("cluster"):
            self.clusterer, self.catalogue = fit_clusterer(
                self.clusterer, items, embeddings
            )
        return items, embeddings

    def _train_embedder(self, images, garments, embeddings_path):
        """Trains an embedder on the inputs' patches; `(items, embeddings)`."""
        chunks = self._chunks(images, garments, embed=False, keep=True)
        items = [item for chunk, _ in chunks for item in chunk.items]
        with self._timed("train"):
            self.embedder = train_catalogue_embedder(
                items, self.embedder_steps, self.progress
            )
        with self._timed("embed"):
            embeddings = self.pipeline.embed_items(items, embeddings_path)
        if not self.keep_patches:
            for item in items:
                item.patches, item.thumbnail = [], None
        return items, embeddings

    def _check_fitted(self):
        if not self.is_fitted:
            raise ValueError(
                "The grouper is not fitted: call fit() (or load a fitted one)."
            )

    def _result(self, items, embeddings):
        centroids = (
            self.clusterer.cluster_centers_
            if self.is_fitted
            else np.zeros((0, embeddings.shape[-1]))
        )
        return GroupingResult(items, centroids, dict(self.timings_))

    # === The data path ===

    def _chunks(self, images, garments, embed=True, keep=None):
        """`GroupingPipeline.chunks` with the grouper's settings and clock."""
        self.timings_ = dict.fromkeys(STAGES, 0.0)
        return self.pipeline.chunks(
            images,
            garments,
            self._timed,
            embed=embed,
            keep=self.keep_patches if keep is None else keep,
            progress=self.progress,
        )

    def _run(self, images, garments, embeddings_path=None, assign=False):
        """`GroupingPipeline.run` with the grouper's settings, clock and groups."""
        self.timings_ = dict.fromkeys(STAGES, 0.0)
        return self.pipeline.run(
            images,
            garments,
            self._timed,
            assign=self.clusterer.predict if assign else None,
            embeddings_path=embeddings_path,
            keep=self.keep_patches,
            progress=self.progress,
        )

    @contextlib.contextmanager
    def _timed(self, stage):
        """Adds the seconds spent inside to `timings_[stage]`."""
        began = time.perf_counter()
        yield
        self.timings_[stage] += time.perf_counter() - began
