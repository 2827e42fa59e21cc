"""Training recipes: each stage's model trained from scratch on synthetic data.

The settings the demo, the examples and the benchmarks use, gathered so a
user without pretrained weights gets working components in minutes on a
CPU: budgets are optimiser steps, with an optional wall-clock limit. Each
recipe draws its data with `keras_patterns.datasets` and trains with the
stage's own parts; what a recipe reaches is measured in the documentation's
Measurements page.
"""

import time

import keras
import numpy as np

from keras_patterns.datasets.inshop_classes import remap_classes
from keras_patterns.datasets.pipelines import segmentation_dataset
from keras_patterns.datasets.synthetic.generator import make_pattern_garments
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.swatches import make_pattern_patches
from keras_patterns.embedding.training import train_embedder_on_patches
from keras_patterns.embedding.training import train_pattern_embedder
from keras_patterns.enhancement.esrgan import ESRGAN
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.enhancement.sr_data import super_resolution_dataset
from keras_patterns.enhancement.sr_evaluation import psnr_against_bicubic
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.patches.extract import extract_patches
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.segmentation.segmentation_losses import (
    MaskedSparseCategoricalCrossentropy,
)
from keras_patterns.segmentation.segmentation_losses import (
    median_frequency_weights as _median_frequency_weights,
)
from keras_patterns.segmentation.segmentation_metrics import mean_iou
from keras_patterns.utils.batch_norm import recalibrate_batch_norm
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.training import fit_with_budget
from keras_patterns.utils.validation import check_choice

__all__ = [
    "SEGMENT_SIZE",
    "enhancer_psnr",
    "garment_patches",
    "median_frequency_weights",
    "segmenter_miou",
    "train_embedder",
    "train_embedder_on_patches",
    "train_enhancer",
    "train_segmenter",
]

SEGMENT_SIZE = (128, 96)
"""`(height, width)` the recipes' segmenter trains and runs at."""


def median_frequency_weights(masks, classes=NINE_CLASSES, low=0.1, high=10.0):
    """Median frequency class weights of 16-class In-shop `masks` in `classes`.

    `masks` are reduced to `classes` (`remap_classes`), then weighed by
    `keras_patterns.segmentation.median_frequency_weights`.
    """
    return _median_frequency_weights(
        remap_classes(masks, classes), len(classes), low, high
    )


def train_segmenter(
    steps=400,
    scenes=1500,
    size=SEGMENT_SIZE,
    seed=0,
    filters=128,
    balanced=True,
    seconds=None,
    verbose=2,
    refine_filters=None,
):
    """DeepLabV3+ (MobileNetV2, random init) on synthetic scenes, 9 classes.

    With `balanced`, the loss weighs classes by median frequency balancing.
    `seconds` limits the whole call, drawing the scenes included; the
    learning rate anneals to it. `refine_filters` adds DeepLabV3Plus'
    stride-2 refinement (off in the demo: it costs time per step and did
    not change the grouping).
    """
    began = time.perf_counter()
    data = make_pattern_garments(scenes, size, seed=seed, views_per_item=2)
    batches = segmentation_dataset(
        data, size, 16, augment=True, scale_range=(0.8, 1.25), repeat=True, seed=seed
    )
    model = DeepLabV3Plus(
        len(NINE_CLASSES),
        backbone="mobilenet_v2",
        aspp_filters=filters,
        decoder_filters=filters,
        refine_filters=refine_filters,
    )
    weights = median_frequency_weights(data["masks"]) if balanced else None
    model.compile(
        optimizer=keras.optimizers.AdamW(2e-3, weight_decay=1e-4),
        loss=MaskedSparseCategoricalCrossentropy(class_weights=weights),
    )
    fit_with_budget(model, batches, steps, seconds, verbose, peak=2e-3, began=began)
    recalibrate_batch_norm(model, batches, steps=10)
    return model


def segmenter_miou(model, scenes=100, size=SEGMENT_SIZE, seed=12345):
    """Mean IoU over the 9 classes on held-out synthetic scenes."""
    data = make_pattern_garments(scenes, size, seed=seed)
    predicted = model.predict_labels(data["images"])
    return mean_iou(remap_classes(data["masks"]), predicted, len(NINE_CLASSES))


def train_enhancer(
    steps=150,
    patches=1200,
    seed=0,
    num_blocks=2,
    filters=32,
    growth=16,
    seconds=None,
    verbose=2,
):
    """A small x4 RRDBNet, PSNR phase (L1), on synthetic fabric patches."""
    images = make_pattern_patches(patches, (128, 128), seed=seed)["images"]
    pairs = super_resolution_dataset(images, 4, patch_size=32, batch_size=16, seed=seed)
    generator = RRDBNet(
        4, num_blocks=num_blocks, filters=filters, growth=growth, image_residual=True
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
    return generator


def enhancer_psnr(generator, patches=40, seed=4321):
    """PSNR `(network, bicubic)` in dB at x4 on held-out 128x128 fabric patches.

    Measured on the Y channel with a 4-pixel border shaved, as SR papers do
    (`keras_patterns.enhancement.psnr_against_bicubic`).
    """
    images = make_pattern_patches(patches, (128, 128), seed=seed)["images"]
    return psnr_against_bicubic(generator, images, 4, tile=32, overlap=8)


def garment_patches(
    count,
    side=80,
    photo_size=(256, 192),
    margin=2,
    seed=0,
    segmenter=None,
    segment_size=SEGMENT_SIZE,
    garment_prior=0.0,
):
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

    Returns:
        A dict with `images` uint8 `(n, side, side, 3)` and `pattern` int
        `(n,)`; photos whose garment yields no patch are left out.
    """
    data = make_pattern_garments(count, photo_size, seed=seed)
    truth = remap_classes(data["masks"])
    predicted = [None] * count
    if segmenter is not None:
        predicted = garment_label_maps(
            segmenter,
            data["images"],
            [str(garment) for garment in data["garment"]],
            garment_prior,
            segment_size,
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
                label_names=NINE_CLASSES,
                shape="square",
            )
            if patches:
                images.append(resize_image(patches[0].image, (side, side)))
                families.append(data["pattern"][i])
                break
    return {"images": np.stack(images), "pattern": np.asarray(families)}


def train_embedder(
    steps=500,
    items=4000,
    size=64,
    k=6,
    seed=0,
    source="swatches",
    segmenter=None,
    garment_prior=0.0,
    seconds=None,
    verbose=2,
    width=16,
):
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
        seconds: optional wall-clock limit for the whole call, drawing and
            cutting the patches included; the learning rate anneals to it.
        verbose: Keras `fit` verbosity.
        width: `texture_cnn` channels in its first stage. 16 costs far
            less per step than 32 and groups almost as well at equal steps,
            so within a fixed time it groups better.
    """
    began = time.perf_counter()
    check_choice(source, ("swatches", "garments"), "source")
    side = int(size * 1.25)
    if source == "swatches":
        data = make_pattern_patches(items, (side, side), seed=seed)
    else:
        data = garment_patches(
            items, side, seed=seed, segmenter=segmenter, garment_prior=garment_prior
        )
    return train_pattern_embedder(
        data["images"],
        data["pattern"],
        steps,
        p=len(PATTERN_FAMILIES),
        k=k,
        size=size,
        min_crop=0.7,
        width=width,
        seed=seed,
        seconds=seconds,
        began=began,
        verbose=verbose,
    )
