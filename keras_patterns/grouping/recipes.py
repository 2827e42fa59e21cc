"""Training recipes: each stage's model trained from scratch on synthetic data.

These are the settings the demo and the benchmarks use, gathered so a user
without pretrained weights gets working components in minutes on a CPU:
budgets are optimiser steps, with an optional wall-clock limit.
"""

import time

import keras
import numpy as np

from keras_patterns.datasets.inshop_classes import IGNORE_LABEL
from keras_patterns.datasets.inshop_classes import NINE_CLASSES
from keras_patterns.datasets.inshop_classes import remap_classes
from keras_patterns.datasets.pipelines import segmentation_dataset
from keras_patterns.datasets.pipelines import triplet_dataset
from keras_patterns.datasets.synthetic.generator import make_pattern_garments
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.swatches import make_pattern_patches
from keras_patterns.embedding.augmentation import pattern_augmentation
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.embedding.pattern_embedder import texture_cnn
from keras_patterns.embedding.siamese_model import SiameseModel
from keras_patterns.enhancement.esrgan import ESRGAN
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.enhancement.sr_data import degrade
from keras_patterns.enhancement.sr_data import super_resolution_dataset
from keras_patterns.enhancement.sr_metrics import psnr
from keras_patterns.enhancement.upscale import upscale
from keras_patterns.patches.extract import extract_patches
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.segmentation.segmentation_loss import (
    MaskedSparseCategoricalCrossentropy,
)
from keras_patterns.utils.batch_norm import recalibrate_batch_norm
from keras_patterns.utils.callbacks import DeadlineCosineDecay
from keras_patterns.utils.callbacks import TimeLimit
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.precision import bfloat16_is_fast
from keras_patterns.utils.precision import dtype_policy
from keras_patterns.utils.validation import check_choice


def _train_triplets(
    data,
    labels,
    *,
    p,
    k,
    size,
    min_crop,
    steps,
    seed,
    seconds,
    verbose,
    dim=128,
    width=32,
    began=None,
):
    """A `texture_cnn(width=width)` `PatternEmbedder` trained with
    semi-hard triplets.

    Trained in mixed bfloat16 where `bfloat16_is_fast()`, and returned as a
    float32 model (the same weights: mixed precision keeps them in float32).
    """

    def build():
        return PatternEmbedder(texture_cnn(width=width), embedding_dim=dim)

    batches = triplet_dataset(
        data,
        labels=labels,
        p=p,
        k=k,
        map_fn=pattern_augmentation((size, size), min_crop=min_crop),
        seed=seed,
    )
    policy = "mixed_bfloat16" if bfloat16_is_fast() else "float32"
    with dtype_policy(policy):
        embedder = build()
        siamese = SiameseModel(embedder)
        siamese.compile(optimizer=keras.optimizers.AdamW(2e-3, weight_decay=1e-4))
        _fit(siamese, batches, steps, seconds, verbose, peak=2e-3, began=began)
        recalibrate_batch_norm(embedder, batches, steps=10)
    if policy == "float32":
        return embedder
    plain = build()
    plain.set_weights(embedder.get_weights())
    return plain


def _fit(model, data, steps, seconds, verbose, peak=None, began=None):
    """`fit` for `steps` steps or until `seconds` after `began`, whichever
    ends first (`began`: a `time.perf_counter()` reading, by default now).

    With `peak`, the learning rate warms up to it and decays to zero by
    `DeadlineCosineDecay`, so a run the clock cuts short still anneals.
    """
    if seconds and began is not None:
        seconds = max(seconds - (time.perf_counter() - began), 1.0)
    epochs = max(1, min(10, steps))
    limit = TimeLimit(seconds or float("inf"))
    callbacks = [limit]
    if peak is not None:
        callbacks.append(DeadlineCosineDecay(peak, steps, seconds))
    model.fit(
        data,
        epochs=epochs,
        steps_per_epoch=-(-steps // epochs),
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,  # the data sets shuffle themselves
    )
    if limit.stopped_early and verbose:
        print(
            f"time limit ({seconds:.0f} s) reached: {limit.steps_done} of {steps} steps"
        )


def median_frequency_weights(masks, classes=NINE_CLASSES, low=0.1, high=10.0):
    """Class weights `median(freq) / freq(c)` (SegNet's median frequency balancing).

    Background covers most pixels; without weights a young network predicts
    it everywhere for hundreds of steps. Weights are clipped to [low, high].
    """
    counts = np.bincount(remap_classes(masks).ravel(), minlength=256)[: len(classes)]
    frequency = counts / max(counts.sum(), 1)
    present = frequency > 0
    weights = np.ones(len(classes))
    weights[present] = np.median(frequency[present]) / frequency[present]
    return np.clip(weights, low, high).round(4).tolist()


def train_segmenter(
    steps=400,
    scenes=1500,
    size=(128, 96),
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
    learning rate anneals to it.
    `refine_filters` adds DeepLabV3Plus' stride-2 refinement: at 600 steps
    and 128x96, mean IoU 0.61 -> 0.64 for about 25% more time per step (the
    demo's grouping NMI did not change, so the demo leaves it off).
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
    _fit(model, batches, steps, seconds, verbose, peak=2e-3, began=began)
    recalibrate_batch_norm(model, batches, steps=10)
    return model


def segmenter_miou(model, scenes=100, size=(128, 96), seed=12345):
    """Mean IoU over the 9 classes on held-out synthetic scenes."""
    data = make_pattern_garments(scenes, size, seed=seed)
    predicted = model.predict_labels(data["images"])
    truth = remap_classes(data["masks"])
    valid = truth != IGNORE_LABEL
    k = len(NINE_CLASSES)
    matrix = np.bincount(
        truth[valid].astype(np.int64) * k + predicted[valid], minlength=k * k
    ).reshape(k, k)
    tp = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - tp
    return float(np.nanmean(np.where(union > 0, tp / np.maximum(union, 1), np.nan)))


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
    _fit(model, pairs, steps, seconds, verbose)
    return generator


def enhancer_psnr(generator, patches=40, seed=4321):
    """PSNR `(network, bicubic)` in dB at x4 on held-out 128x128 fabric patches.

    Measured on the Y channel with a 4-pixel border shaved, as SR papers do.
    """
    images = make_pattern_patches(patches, (128, 128), seed=seed)["images"]
    high = images.astype(np.float32) / 255.0
    low = degrade(tf.constant(high), 4).numpy()
    bicubic = np.clip(tf.image.resize(low, (128, 128), method="bicubic").numpy(), 0, 1)
    network = upscale(generator, low, tile=32, overlap=8)
    return (
        psnr(network, high, y_channel=True, crop_border=4),
        psnr(bicubic, high, y_channel=True, crop_border=4),
    )


def garment_patches(
    count,
    side=80,
    photo_size=(256, 192),
    margin=2,
    seed=0,
    segmenter=None,
    segment_size=(128, 96),
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
    purer patches and more true-mask fallbacks, and on the demo catalogue
    an embedder trained on patches cut with a prior of 1.5 grouped worse
    (NMI 0.78 against 0.82, both grouping with the prior).

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
        width: `texture_cnn` channels in its first stage. At 16 a step
            costs 0.38 of one at 32 and groups almost as well (300 steps on
            garment patches: NMI 0.734 against 0.745, in 399 s against
            1058 s), so in a fixed time 16 groups better.
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
    return _train_triplets(
        data,
        "pattern",
        p=len(PATTERN_FAMILIES),
        k=k,
        size=size,
        min_crop=0.7,
        steps=steps,
        seed=seed,
        seconds=seconds,
        verbose=verbose,
        width=width,
        began=began,
    )


def train_embedder_on_patches(
    patches, steps=300, k=4, p=16, embedding_dim=128, seed=0, seconds=None, verbose=2
):
    """A `texture_cnn` PatternEmbedder trained on unlabelled patches.

    Self-supervised metric learning for catalogues without pattern labels:
    every patch is its own class and its positives are other augmented views
    of it (crops, colour and blur changes from `pattern_augmentation`), so
    the network learns what survives those changes, the pattern, and not the
    colour or the exact framing. Semi-hard triplets over P x K batches, as in
    `train_embedder`.

    Args:
        patches: `(N, S, S, 3)` uint8 square patches, `N >= 2`.
        steps: optimiser steps.
        k: augmented views per patch in a batch.
        p: patches per batch (at most `N`).
        embedding_dim: size of the embedding.
        seed: sampling seed.
        seconds: optional wall-clock limit.
        verbose: Keras `fit` verbosity.

    Returns:
        The trained `PatternEmbedder`.
    """
    patches = np.asarray(patches)
    if patches.ndim != 4 or patches.shape[1] != patches.shape[2] or len(patches) < 2:
        raise ValueError(
            '"patches" must be at least two square patches (N, S, S, 3). '
            f"Received shape {patches.shape}"
        )
    count, size = len(patches), patches.shape[1]
    # Two copies per patch: the P x K sampler needs two examples per class and
    # draws the K views from them with replacement; the augmentation makes
    # every view different.
    data = {
        "images": np.concatenate([patches, patches]),
        "instance": np.tile(np.arange(count), 2),
    }
    return _train_triplets(
        data,
        "instance",
        p=min(p, count),
        k=k,
        size=size,
        min_crop=0.6,
        steps=steps,
        seed=seed,
        seconds=seconds,
        verbose=verbose,
        dim=embedding_dim,
    )
