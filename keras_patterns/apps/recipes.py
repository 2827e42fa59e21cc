"""Training recipes: each stage's model trained from scratch on synthetic data.

The settings the demo, the examples and the benchmarks use, gathered so a
user without pretrained weights gets working components in minutes on a
CPU: budgets are optimiser steps, with an optional wall-clock limit. Each
recipe draws its data with `keras_patterns.datasets` and trains with the
stage's own parts; what a recipe reaches is measured in the documentation's
Measurements page. Each returned model keeps the `keras.callbacks.History`
of its training in `model.history`, as `fit` leaves it on the model it
trains (`keras_patterns.utils.figures.plot_history` draws it).

One job: the training recipes, with the data each draws and the figure
each is judged by (`segmenter_miou`, `enhancer_psnr`).
"""

import time
from collections.abc import Mapping
from collections.abc import Sequence

import keras
import numpy as np

from keras_patterns.datasets.inshop_classes import remap_classes
from keras_patterns.datasets.pipelines import segmentation_dataset
from keras_patterns.datasets.synthetic.generator import make_pattern_garments
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.swatches import make_pattern_patches
from keras_patterns.datasets.synthetic.textures.families import make_texture_patches
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.embedding.training import train_pattern_embedder
from keras_patterns.enhancement.esrgan import ESRGAN
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.enhancement.sr_data import super_resolution_dataset
from keras_patterns.enhancement.sr_evaluation import psnr_against_bicubic
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.patches.extract import extract_patches
from keras_patterns.segmentation import segmentation_losses
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.segmentation.segmentation_losses import (
    MaskedSparseCategoricalCrossentropy,
)
from keras_patterns.segmentation.segmentation_metrics import mean_iou
from keras_patterns.segmentation.segmentation_metrics import mean_iou_metric
from keras_patterns.utils.batch_norm import recalibrate_batch_norm
from keras_patterns.utils.budget import fit_with_budget
from keras_patterns.utils.deprecation import moved_names
from keras_patterns.utils.distribution import Distribution
from keras_patterns.utils.distribution import check_distribution
from keras_patterns.utils.distribution import distribution_scope
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice

__all__ = [
    "SEGMENT_SIZE",
    "enhancer_psnr",
    "garment_patches",
    "inshop_class_weights",
    "segmenter_miou",
    "train_embedder",
    "train_enhancer",
    "train_segmenter",
]

# Until 0.2.0: the In-shop weights had the name of the segmentation
# function they call, and the patch trainer was re-exported here.
__getattr__ = moved_names(
    __name__,
    {
        "median_frequency_weights": "keras_patterns.apps.recipes:inshop_class_weights",
        "train_embedder_on_patches": "keras_patterns.embedding",
    },
)

SEGMENT_SIZE = (128, 96)
"""`(height, width)` the recipes' segmenter trains and runs at."""


def inshop_class_weights(
    masks: ArrayLike,
    classes: Sequence[str] = NINE_CLASSES,
    low: float = 0.1,
    high: float = 10.0,
) -> list[float]:
    """Median frequency class weights of 16-class In-shop `masks` in `classes`.

    `masks` are reduced to `classes` (`remap_classes`), then weighed by
    `keras_patterns.segmentation.median_frequency_weights`.

    Args:
        masks: integer label maps of In-shop ids, any shape.
        classes: the class names kept, in their id order.
        low: smallest weight.
        high: largest weight.

    Returns:
        A list of `len(classes)` floats.
    """
    return segmentation_losses.median_frequency_weights(
        remap_classes(masks, classes), len(classes), low, high
    )


def train_segmenter(
    steps: int = 400,
    scenes: int = 1500,
    size: Size = SEGMENT_SIZE,
    seed: int = 0,
    filters: int = 128,
    balanced: bool = True,
    seconds: float | None = None,
    verbose: int | str = 2,
    refine_filters: int | None = None,
    distribution: Distribution = None,
) -> DeepLabV3Plus:
    """DeepLabV3+ (MobileNetV2, random init) on synthetic scenes, 9 classes.

    With `balanced`, the loss weighs classes by median frequency balancing.
    `seconds` limits the whole call, drawing the scenes included; the
    learning rate anneals to it. `refine_filters` adds DeepLabV3Plus'
    stride-2 refinement (off in the demo: it costs time per step and did
    not change the grouping).

    Args:
        steps: optimiser steps (batches of 16 scenes).
        scenes: synthetic scenes drawn (two views of each product).
        size: `(height, width)` of the scenes.
        seed: random seed.
        filters: channels of the ASPP and the decoder.
        balanced: weigh the loss's classes by median frequency balancing.
        seconds: optional wall-clock limit for the whole call.
        verbose: Keras `fit` verbosity.
        refine_filters: channels of the stride-2 refinement, or `None`
            (none).
        distribution: the devices to train on: a `tf.distribute.Strategy`
            on TensorFlow, a `keras.distribution.DataParallel` on JAX, or
            `None` (one device). Batches stay global, split between them.

    Returns:
        The trained `DeepLabV3Plus`, its batch-norm statistics recalibrated;
        `model.history` holds its loss and mean IoU per epoch.
    """
    began = time.perf_counter()
    check_distribution(distribution)
    data = make_pattern_garments(scenes, size, seed=seed, views_per_item=2)
    batches = segmentation_dataset(
        data, size, 16, augment=True, scale_range=(0.8, 1.25), repeat=True, seed=seed
    )
    weights = inshop_class_weights(data["masks"]) if balanced else None
    with distribution_scope(distribution):
        model = DeepLabV3Plus(
            len(NINE_CLASSES),
            backbone="mobilenet_v2",
            aspp_filters=filters,
            decoder_filters=filters,
            refine_filters=refine_filters,
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(2e-3, weight_decay=1e-4),
            loss=MaskedSparseCategoricalCrossentropy(class_weights=weights),
            metrics=[mean_iou_metric(len(NINE_CLASSES))],
        )
        fit_with_budget(model, batches, steps, seconds, verbose, 2e-3, began)
        recalibrate_batch_norm(model, batches, steps=10)
    return model


def segmenter_miou(
    model: keras.Model,
    scenes: int = 100,
    size: Size = SEGMENT_SIZE,
    seed: int = 12345,
    label_names: Sequence[str] = NINE_CLASSES,
    merges: Mapping[str, str] | None = None,
) -> float:
    """Mean IoU over the segmenter's classes on held-out synthetic scenes.

    Args:
        model: a segmenter with `predict_labels` (a `DeepLabV3Plus`).
        scenes: synthetic scenes drawn.
        size: `(height, width)` of the scenes.
        seed: random seed of the scenes (other than the training seeds).
        label_names: the model's class names, in id order (a preset's
            `PHOTO_CLASSES`, for example).
        merges: In-shop classes folded into another of `label_names`
            (`remap_classes`), such as `PHOTO_MERGES`.

    Returns:
        The mean IoU, a float in [0, 1].
    """
    data = make_pattern_garments(scenes, size, seed=seed)
    predicted = model.predict_labels(data["images"])
    truth = remap_classes(data["masks"], label_names, merges=merges)
    return mean_iou(truth, predicted, len(label_names))


def train_enhancer(
    steps: int = 150,
    patches: int = 1200,
    seed: int = 0,
    num_blocks: int = 2,
    filters: int = 32,
    growth: int = 16,
    seconds: float | None = None,
    verbose: int | str = 2,
    distribution: Distribution = None,
) -> RRDBNet:
    """A small x4 RRDBNet, PSNR phase (L1), on synthetic fabric patches.

    Args:
        steps: optimiser steps (batches of 16 crops, 32x32 at low
            resolution).
        patches: 128x128 fabric patches drawn.
        seed: random seed.
        num_blocks: RRDBs in the generator's trunk.
        filters: trunk channels.
        growth: growth channels of the dense blocks.
        seconds: optional wall-clock limit for the training.
        verbose: Keras `fit` verbosity.
        distribution: the devices to train on: a `tf.distribute.Strategy`
            on TensorFlow, a `keras.distribution.DataParallel` on JAX, or
            `None` (one device). Batches stay global, split between the
            devices.

    Returns:
        The trained `RRDBNet` generator; `generator.history` holds the
        `ESRGAN` training's loss per epoch.
    """
    check_distribution(distribution)
    images = make_pattern_patches(patches, (128, 128), seed=seed)["images"]
    pairs = super_resolution_dataset(images, 4, patch_size=32, batch_size=16, seed=seed)
    with distribution_scope(distribution):
        generator = RRDBNet(
            4,
            num_blocks=num_blocks,
            filters=filters,
            growth=growth,
            image_residual=True,
        )
        model = ESRGAN(generator)
        model.compile(
            phase="psnr",
            generator_optimizer=keras.optimizers.Adam(
                keras.optimizers.schedules.CosineDecay(1e-3, max(steps, 1), alpha=0.05),
                beta_2=0.99,
            ),
        )
        fit_with_budget(model, pairs, steps, seconds, verbose)
    # `fit` leaves its History on the ESRGAN wrapper; hand it on.
    generator.history = model.history
    return generator


def enhancer_psnr(
    generator: keras.Model, patches: int = 40, seed: int = 4321
) -> tuple[float, float]:
    """PSNR `(network, bicubic)` in dB at x4 on held-out 128x128 fabric patches.

    Measured on the Y channel with a 4-pixel border shaved, as SR papers do
    (`keras_patterns.enhancement.psnr_against_bicubic`).

    Args:
        generator: an x4 super-resolution model (an `RRDBNet`).
        patches: fabric patches drawn.
        seed: random seed of the patches.

    Returns:
        `(network_db, bicubic_db)`, the mean PSNR over the patches.
    """
    images = make_pattern_patches(patches, (128, 128), seed=seed)["images"]
    return psnr_against_bicubic(generator, images, 4, tile=32, overlap=8)


def garment_patches(
    count: int,
    side: int = 80,
    photo_size: Size = (256, 192),
    margin: int | float = 2,
    seed: int = 0,
    segmenter: keras.Model | None = None,
    segment_size: Size | None = SEGMENT_SIZE,
    garment_prior: float = 0.0,
    label_names: Sequence[str] = NINE_CLASSES,
    merges: Mapping[str, str] | None = None,
) -> dict[str, np.ndarray]:
    """Patches cut from synthetic product photos, labelled by pattern family.

    The distribution a grouper's embedder sees: each photo's main garment is
    cut with `extract_patches` (the largest square inside the garment) and
    resized to `side`, so the patches carry the photos' folds, shading and
    resampling blur. The garment comes from the ground-truth mask, or, with
    a `segmenter`, from its prediction (at `segment_size`, as
    `PatternGrouper` runs it): an embedder trained on those learns to ignore
    the segmenter's own mistakes at garment edges. Photos whose garment the
    segmenter misses fall back to the true mask. `garment_prior` (see
    `segmentation.garment_labels`) is off by default: the plain labels give
    purer patches and more true-mask fallbacks, and an embedder trained on
    them groups better, even when the grouping itself uses the prior.

    Args:
        count: synthetic product photos drawn.
        side: side the patches are resized to.
        photo_size: `(height, width)` of the photos.
        margin: pixels (int) or share of the region's smaller side (float)
            kept away from garment edges (see `extract_patches`).
        seed: random seed.
        segmenter: a segmenter (a `DeepLabV3Plus`) of `label_names` whose
            predicted garment the patches are cut from, or `None` for the
            true masks.
        segment_size: `(height, width)` the photos are resized to for the
            segmenter; `None` keeps them.
        garment_prior: with a `segmenter`, the log-prior of each photo's
            named garment (`segmentation.garment_labels`); 0 turns it off.
        label_names: the segmenter's class names, in id order.
        merges: In-shop classes folded into another of `label_names`
            (`remap_classes`), such as `PHOTO_MERGES`.

    Returns:
        A dict with `images` uint8 `(n, side, side, 3)` and `pattern` int
        `(n,)`; photos whose garment yields no patch are left out.
    """
    data = make_pattern_garments(count, photo_size, seed=seed)
    truth = remap_classes(data["masks"], label_names, merges=merges)
    predicted = [None] * count
    if segmenter is not None:
        predicted = garment_label_maps(
            segmenter,
            data["images"],
            [str(garment) for garment in data["garment"]],
            garment_prior,
            segment_size,
            label_names=label_names,
        )
    images, families = [], []
    for i, (photo, garment) in enumerate(
        zip(data["images"], data["garment"], strict=True)
    ):
        # A photo whose garment the segmenter misses falls back to the true
        # mask, so every family stays in the training set.
        maps = [labels for labels in (predicted[i], truth[i]) if labels is not None]
        for labels in maps:
            patches = extract_patches(
                photo,
                labels,
                classes=(str(garment),),
                max_patches=1,
                margin=margin,
                label_names=label_names,
                shape="square",
            )
            if patches:
                images.append(resize_image(patches[0].image, (side, side)))
                families.append(data["pattern"][i])
                break
    return {"images": np.stack(images), "pattern": np.asarray(families)}


def train_embedder(
    steps: int = 500,
    items: int = 4000,
    size: int = 64,
    k: int = 6,
    seed: int = 0,
    source: str = "swatches",
    segmenter: keras.Model | None = None,
    garment_prior: float = 0.0,
    label_names: Sequence[str] = NINE_CLASSES,
    merges: Mapping[str, str] | None = None,
    segment_size: Size | None = SEGMENT_SIZE,
    seconds: float | None = None,
    verbose: int | str = 2,
    width: int = 16,
    initial: PatternEmbedder | None = None,
    train_backbone: bool = True,
    rehearse: int = 0,
    distribution: Distribution = None,
) -> PatternEmbedder:
    """A `texture_cnn` PatternEmbedder, semi-hard triplets over the 16 families.

    Args:
        steps: optimiser steps (P x K batches of 16 families x `k`).
        items: training patches drawn.
        size: patch side seen by the network.
        k: patches per family in a batch.
        seed: random seed.
        source: `"swatches"` (flat fabric from `make_pattern_patches`) or
            `"garments"` (patches cut from synthetic product photos,
            `garment_patches`: what a `PatternGrouper` feeds the embedder).
        segmenter: with `"garments"`, cut the patches from this segmenter's
            predictions instead of the true masks.
        garment_prior: with a `segmenter`, the log-prior of each photo's
            named garment when cutting (see `garment_patches`).
        label_names: the `segmenter`'s class names, in id order.
        merges: In-shop classes folded into another of `label_names`.
        segment_size: `(height, width)` the `segmenter` runs at.
        seconds: optional wall-clock limit for the whole call, drawing and
            cutting the patches included; the learning rate anneals to it.
        verbose: Keras `fit` verbosity.
        width: `texture_cnn` channels in its first stage. 16 costs far
            less per step than 32 and groups almost as well at equal steps,
            so within a fixed time it groups better.
        initial: a texture-CNN embedder to start from (a preset such as
            `PatternEmbedder.from_preset("patterns_synthetic")`) instead of
            random weights; its width replaces `width`.
        train_backbone: `False` fine-tunes the pooling and projection of
            `initial` only, its backbone unchanged (see
            `train_pattern_embedder`).
        rehearse: also train on this many procedural textures of the ten
            families the preset learnt (`make_texture_patches`), labelled
            apart from the catalogue's families: rehearsal, so that
            fine-tuning keeps what the preset knows of real textures.
        distribution: the devices to train on: a `tf.distribute.Strategy`
            on TensorFlow, a `keras.distribution.DataParallel` on JAX, or
            `None` (one device). Batches stay global, split between them.

    Returns:
        The trained `PatternEmbedder`; `embedder.history` holds the triplet
        training's loss and metrics per epoch.
    """
    began = time.perf_counter()
    check_choice(source, ("swatches", "garments"), "source")
    check_distribution(distribution)
    side = int(size * 1.25)
    if source == "swatches":
        data = make_pattern_patches(items, (side, side), seed=seed)
    else:
        data = garment_patches(
            items,
            side,
            seed=seed,
            segmenter=segmenter,
            segment_size=segment_size,
            garment_prior=garment_prior,
            label_names=label_names,
            merges=merges,
        )
    images, labels = data["images"], data["pattern"]
    if rehearse:
        textures = make_texture_patches(rehearse, (side, side), seed=seed + 1)
        images = np.concatenate([images, textures["images"]])
        labels = np.concatenate([labels, textures["family"] + len(PATTERN_FAMILIES)])
    if initial is not None:
        width = initial.backbone.get_layer("stage0_conv0").filters
    with distribution_scope(distribution):
        return train_pattern_embedder(
            images,
            labels,
            steps,
            p=len(PATTERN_FAMILIES),
            k=k,
            size=size,
            min_crop=0.7,
            width=width,
            embedding_dim=initial.embedding_dim if initial is not None else 128,
            initial=initial,
            train_backbone=train_backbone,
            seed=seed,
            seconds=seconds,
            began=began,
            verbose=verbose,
        )
