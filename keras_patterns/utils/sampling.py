"""P x K sampling for metric learning: batches of P labels with K examples each.

Triplet losses mine their triplets inside a batch, so a batch must hold
several examples of each label it holds. `PKSampler` draws such batches of
indices; `pk_dataset` turns them into a `tf.data` pipeline of images. The
data readers (`keras_patterns.datasets.triplet_dataset`) and the embedding
stage's own trainers build on these.
"""

from collections.abc import Callable
from collections.abc import Iterator

import numpy as np

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_size


class PKSampler:
    """Index batches of P labels with K examples each, for metric learning.

    Every batch holds `p` distinct labels and `k` examples of each, so every
    anchor has `k - 1` positives and `(p - 1) * k` negatives. One epoch
    visits every label with at least two examples once, in random order;
    labels with fewer than `k` examples are sampled with replacement.

    Args:
        labels: integer (or string) label per example, shape `(N,)`.
        p: labels per batch.
        k: examples per label.
        seed: random seed.

    Example:

    >>> from keras_patterns.datasets import PKSampler
    >>> sampler = PKSampler([0, 0, 1, 1, 2, 2], p=2, k=2, seed=0)
    >>> batch = next(iter(sampler))
    >>> len(batch), len(sampler)
    (4, 1)
    """

    def __init__(
        self, labels: ArrayLike, p: int = 8, k: int = 4, seed: int = 0
    ) -> None:
        check_int(p, "p")
        check_int(k, "k")
        if k < 2:
            raise ValueError(
                f'"k" must be at least 2 (an anchor needs a positive). Received: k={k}'
            )
        self.labels = np.asarray(labels)
        if self.labels.ndim != 1:
            raise ValueError(
                f'"labels" must be one-dimensional. Received shape {self.labels.shape}'
            )
        groups = {}
        for index, label in enumerate(self.labels.tolist()):
            groups.setdefault(label, []).append(index)
        self.groups = [np.array(v) for _, v in sorted(groups.items()) if len(v) >= 2]
        if len(self.groups) < p:
            raise ValueError(
                f'"p" must not exceed the number of labels with two or more examples '
                f"({len(self.groups)}). Received: p={p}"
            )
        self.p, self.k = p, k
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.groups) // self.p

    def __iter__(self) -> Iterator[np.ndarray]:
        order = self.rng.permutation(len(self.groups))
        for start in range(0, len(self) * self.p, self.p):
            batch = []
            for g in order[start : start + self.p]:
                members = self.groups[g]
                batch.append(
                    self.rng.choice(members, self.k, replace=len(members) < self.k)
                )
            yield np.concatenate(batch)


def pk_dataset(
    images: ArrayLike,
    labels: ArrayLike,
    p: int,
    k: int,
    *,
    seed: int = 0,
    map_fn: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None,
    decode: Callable[[Tensor], Tensor] | None = None,
    image_size: Size | None = None,
    repeat: bool = True,
) -> "tf.data.Dataset":
    """A `tf.data.Dataset` of P x K batches `(images, labels)` from arrays.

    Args:
        images: `(N, H, W, 3)` uint8 images, or `(N,)` entries (file paths,
            for example) that `decode` turns into images.
        labels: `(N,)` label of each image, any hashable values; batches
            carry their index in sorted order (`np.unique`).
        p: labels per batch.
        k: examples per label.
        seed: sampling seed.
        map_fn: optional function `(image, label) -> (image, label)` applied
            to each example (augmentation).
        decode: optional function from one entry of `images` (a tensor) to
            a float32 image in [0, 1]; by default uint8 images are scaled.
        image_size: `(height, width)` to resize to, or `None`.
        repeat: repeat epochs forever (use with `steps_per_epoch`).

    Returns:
        A `tf.data.Dataset` of float32 images in [0, 1] `(p * k, H, W, 3)`
        and int32 labels `(p * k,)`.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.utils.sampling import pk_dataset
    >>> images = np.zeros((6, 8, 8, 3), np.uint8)
    >>> batch = next(iter(pk_dataset(images, [0, 0, 1, 1, 2, 2], p=2, k=2)))
    >>> counts = np.unique(batch[1].numpy(), return_counts=True)[1]
    >>> tuple(batch[0].shape), counts.tolist()  # 2 labels, 2 images each
    ((4, 8, 8, 3), [2, 2])
    """
    images = np.asarray(images)
    _, ids = np.unique(np.asarray(labels), return_inverse=True)
    sampler = PKSampler(ids, p, k, seed)
    size = None if image_size is None else check_size(image_size, minimum=8)

    def indices():
        while True:
            yield from sampler
            if not repeat:
                return

    dataset = tf.data.Dataset.from_generator(
        indices, output_signature=tf.TensorSpec((p * k,), tf.int64)
    ).unbatch()
    source = tf.constant(images)
    targets = tf.constant(ids.astype(np.int32))

    def load(index):
        image = tf.gather(source, index)
        image = (
            decode(image)
            if decode is not None
            else tf.image.convert_image_dtype(image, tf.float32)
        )
        if size is not None:
            image = tf.image.resize(image, size, antialias=True)
        label = tf.gather(targets, index)
        return map_fn(image, label) if map_fn is not None else (image, label)

    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(p * k, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
