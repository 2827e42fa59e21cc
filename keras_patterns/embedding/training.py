"""Training a texture-CNN `PatternEmbedder` with semi-hard triplets.

`train_pattern_embedder` learns from labelled patches (a pattern family
per patch); `train_embedder_on_patches` needs no labels: every patch is its
own class and its augmented views are the positives, which is how
`PatternGrouper.fit` trains an embedder for a catalogue it is given
without one.
"""

import keras
import numpy as np

from keras_patterns.embedding.augmentation import pattern_augmentation
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.embedding.pattern_embedder import texture_cnn
from keras_patterns.embedding.siamese_model import SiameseModel
from keras_patterns.utils.batch_norm import recalibrate_batch_norm
from keras_patterns.utils.budget import fit_with_budget
from keras_patterns.utils.precision import bfloat16_is_fast
from keras_patterns.utils.precision import dtype_policy
from keras_patterns.utils.sampling import pk_dataset
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_int

LEARNING_RATE = 2e-3


def _copy_weights(source, target):
    shapes = [tuple(w.shape) for w in source.weights]
    if shapes != [tuple(w.shape) for w in target.weights]:
        raise ValueError(
            '"initial" must have the architecture being trained (texture_cnn of '
            "the same width, the same pooling and embedding_dim). Received an "
            f"embedder with weight shapes {shapes}"
        )
    for mine, theirs in zip(target.weights, source.weights, strict=True):
        # A copy through NumPy: on JAX, training donates the target's buffers,
        # which would delete the source's if they were shared.
        value = np.array(keras.ops.convert_to_numpy(theirs.value))
        mine.assign(value.astype(keras.backend.standardize_dtype(mine.dtype)))


def train_pattern_embedder(
    images: ArrayLike,
    labels: ArrayLike,
    steps: int,
    *,
    p: int,
    k: int,
    size: int,
    min_crop: float = 0.7,
    embedding_dim: int = 128,
    width: int = 32,
    pooling: str = "gem",
    rotate: bool = False,
    learning_rate: float = LEARNING_RATE,
    initial: PatternEmbedder | None = None,
    train_backbone: bool = True,
    instances: tuple[ArrayLike, ArrayLike] | None = None,
    instances_per_batch: int = 24,
    seed: int = 0,
    seconds: float | None = None,
    began: float | None = None,
    backup: str | None = None,
    verbose: int | str = 2,
) -> PatternEmbedder:
    """A `texture_cnn(width)` `PatternEmbedder` trained with semi-hard triplets.

    Batches hold `p` labels with `k` augmented crops each
    (`pattern_augmentation`: crops of at least `min_crop` of the side,
    flips, optionally 90-degree rotations, colour and blur changes),
    resized to `size`. AdamW with a
    warm-up and cosine decay (`DeadlineCosineDecay`), then the batch-norm
    statistics are recalibrated. Where `bfloat16_is_fast()`, it trains in
    mixed bfloat16 and returns a float32 model with the same weights.

    With `instances`, unlabelled images (real photographs of textures, for
    example) join every batch by instance discrimination: each batch also
    holds two augmented views of `instances_per_batch` instances, and the two
    views of one instance are positives for each other and negatives for
    everything else, so the network also learns what makes one real texture
    itself (Wu et al., "Unsupervised Feature Learning via Non-Parametric
    Instance Discrimination", CVPR 2018; Chen et al., SimCLR, ICML 2020).

    The initial weights, the batches and the augmentation follow `seed` (it
    calls `keras.utils.set_random_seed(seed)`); TensorFlow's threaded
    kernels may still make two runs with one seed end slightly apart.

    Args:
        images: `(N, S, S, 3)` uint8 patches.
        labels: `(N,)` label of each patch.
        steps: optimiser steps.
        p: labels per batch.
        k: crops per label in a batch.
        size: side of the crops the network sees.
        min_crop: smallest crop side, as a share of the patch side.
        embedding_dim: size of the embedding.
        width: channels of the texture CNN's first stage.
        pooling: `PatternEmbedder` pooling, `"gem"` or `"avg"`.
        rotate: add 90-degree rotations to the augmentation, for groups in
            which a pattern and its rotation are one pattern.
        learning_rate: peak learning rate of AdamW.
        initial: an embedder of the same architecture to start from (its
            weights are copied, it is not changed), instead of a random
            initialisation: a second cycle of training, or fine-tuning a
            preset on other data.
        train_backbone: `False` trains the pooling and the projection only:
            the backbone (from `initial`) stays as it is, batch-norm
            statistics included, so fine-tuning on a narrow set of images
            cannot unlearn what the backbone knows of other textures.
        instances: optional `(images, ids)`: `(M, T, T, 3)` uint8 unlabelled
            images and the instance each comes from (crops of one photograph
            share an id). The two views of an instance are augmentations of
            two of its crops, or of one crop twice; ids with a single crop are
            left out.
        instances_per_batch: instances per batch, two views each.
        seed: sampling and augmentation seed.
        seconds: optional wall-clock budget (see `fit_with_budget`).
        began: a `time.perf_counter()` reading the budget started at.
        backup: optional folder to save the training state in after every
            tenth of the steps, and to resume from (see `fit_with_budget`):
            a run stopped part-way goes on from its last backup when called
            again with the same arguments.
        verbose: Keras `fit` verbosity.

    Returns:
        The trained float32 `PatternEmbedder`; its `history` attribute is
        the `keras.callbacks.History` of the training (the loss and the
        triplet statistics per epoch).

    Example:

    >>> import keras_patterns as kp
    >>> from keras_patterns.embedding import train_pattern_embedder
    >>> data = kp.datasets.make_pattern_patches(8, (40, 40), families=[0, 1])
    >>> embedder = train_pattern_embedder(
    ...     data["images"], data["pattern"], 1, p=2, k=2, size=32,
    ...     embedding_dim=8, width=8, verbose=0)
    >>> embedder.embed(data["images"][:2]).shape
    (2, 8)
    """

    def build():
        return PatternEmbedder(
            texture_cnn(width=width), embedding_dim=embedding_dim, pooling=pooling
        )

    # Whole batches through the seeded Keras augmentation layers, one map
    # call at a time: the same seed gives the same batches.
    augment = pattern_augmentation(
        (size, size), rotate=rotate, min_crop=min_crop, seed=seed
    )
    batches = pk_dataset(images, labels, p, k, seed=seed).map(augment)
    if instances is not None:
        offset = len(np.unique(np.asarray(labels)))  # batches label 0 .. n - 1
        batches = _with_instances(
            batches,
            offset,
            instances,
            instances_per_batch,
            size,
            rotate,
            min_crop,
            seed,
        )
    batches = batches.prefetch(2)
    policy = "mixed_bfloat16" if bfloat16_is_fast() else "float32"
    with dtype_policy(policy):
        keras.utils.set_random_seed(seed)
        embedder = build()
        if initial is not None:
            _copy_weights(initial, embedder)
        embedder.backbone.trainable = bool(train_backbone)
        siamese = SiameseModel(embedder)
        siamese.compile(
            optimizer=keras.optimizers.AdamW(learning_rate, weight_decay=1e-4)
        )
        fit_with_budget(
            siamese, batches, steps, seconds, verbose, learning_rate, began, backup
        )
        if train_backbone:
            recalibrate_batch_norm(embedder, batches, steps=10)
    embedder.backbone.trainable = True  # a frozen backbone is not saved frozen
    history = getattr(siamese, "history", None)  # set by `fit`
    if policy == "float32":
        embedder.history = history
        return embedder
    plain = build()
    plain.set_weights(embedder.get_weights())
    plain.history = history
    return plain


def _with_instances(
    batches, offset, instances, per_batch, size, rotate, min_crop, seed
):
    """`batches` with two views of `per_batch` unlabelled instances added to
    each, labelled from `offset` on (above the labels of `batches`)."""
    from keras_patterns.utils.lazy_tensorflow import tf

    per_batch = check_int(per_batch, "instances_per_batch", minimum=1)
    images, ids = instances
    images, ids = np.asarray(images), np.asarray(ids)
    _, counts = np.unique(ids, return_counts=True)
    usable = int(np.sum(counts >= 2))
    if images.ndim != 4 or len(images) != len(ids) or usable < per_batch:
        raise ValueError(
            '"instances" must be (images, ids): (M, T, T, 3) images, M ids, and '
            f"at least instances_per_batch={per_batch} ids with two or more "
            f"images. Received images of shape {images.shape}, {len(ids)} ids "
            f"for {len(images)} images, {usable} ids with two or more images"
        )
    augment = pattern_augmentation(
        (size, size), rotate=rotate, min_crop=min_crop, seed=seed + 100
    )
    views = pk_dataset(images, ids, per_batch, 2, seed=seed).map(augment)

    def join(labelled, unlabelled):
        return (
            tf.concat([labelled[0], unlabelled[0]], 0),
            tf.concat([labelled[1], unlabelled[1] + offset], 0),
        )

    return tf.data.Dataset.zip((batches, views)).map(join)


def train_embedder_on_patches(
    patches: ArrayLike,
    steps: int = 300,
    k: int = 4,
    p: int = 16,
    embedding_dim: int = 128,
    seed: int = 0,
    seconds: float | None = None,
    verbose: int | str = 2,
) -> PatternEmbedder:
    """A `texture_cnn` PatternEmbedder trained on unlabelled patches.

    Self-supervised metric learning for catalogues without pattern labels:
    every patch is its own class and its positives are other augmented views
    of it (crops, colour and blur changes from `pattern_augmentation`), so
    the network learns what survives those changes, the pattern, and not the
    colour or the exact framing. Semi-hard triplets over P x K batches, as in
    `train_pattern_embedder`.

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

    Example:

    >>> import keras_patterns as kp
    >>> from keras_patterns.embedding import train_embedder_on_patches
    >>> patches = kp.datasets.make_pattern_patches(4, (32, 32))["images"]
    >>> embedder = train_embedder_on_patches(
    ...     patches, steps=1, p=2, k=2, embedding_dim=8, verbose=0)
    >>> embedder.embed(patches).shape
    (4, 8)

    Reference:
        Dosovitskiy et al., "Discriminative Unsupervised Feature Learning
        with Exemplar Convolutional Neural Networks", TPAMI 2016
        (arXiv:1406.6909).
    """
    patches = np.asarray(patches)
    if patches.ndim != 4 or patches.shape[1] != patches.shape[2] or len(patches) < 2:
        raise ValueError(
            '"patches" must be at least two square patches (N, S, S, 3). '
            f"Received shape {patches.shape}"
        )
    check_int(steps, "steps")
    count, size = len(patches), patches.shape[1]
    # Two copies per patch: the P x K sampler needs two examples per class and
    # draws the K views from them with replacement; the augmentation makes
    # every view different.
    return train_pattern_embedder(
        np.concatenate([patches, patches]),
        np.tile(np.arange(count), 2),
        steps,
        p=min(p, count),
        k=k,
        size=size,
        min_crop=0.6,
        embedding_dim=embedding_dim,
        seed=seed,
        seconds=seconds,
        verbose=verbose,
    )
