"""Triplet losses for metric learning, mined inside each batch.

`y_true` holds integer labels `(B,)`, `y_pred` embeddings `(B, D)`, as in
TensorFlow Addons, whose triplet losses did not survive Keras 3. Everything
is vectorised over the `(B, B)` distance matrix (O(B^2) memory, no Python
loop over the batch) and computed in float32 whatever the input dtype.

On NVIDIA GPUs since Ampere, JAX and TensorFlow run float32 matrix products
in TensorFloat-32 by default, so the distance matrix (and the loss) carries
TensorFloat-32's 10-bit mantissa rather than float32's 23. For full float32,
`jax.config.update("jax_default_matmul_precision", "highest")` or
`tf.config.experimental.enable_tensor_float_32_execution(False)`.

On several replicas (`tf.distribute`), the losses that mine the batch
mine the global batch, and every loss is the one of the global batch.
"""

from typing import Any

import keras
from keras import ops

from keras_patterns.embedding.distances import check_distance
from keras_patterns.embedding.distances import label_masks
from keras_patterns.embedding.distances import paired_distances
from keras_patterns.embedding.distances import pairwise_distances
from keras_patterns.utils.distribution import all_gather
from keras_patterns.utils.distribution import global_mean
from keras_patterns.utils.distribution import num_replicas
from keras_patterns.utils.typing import Tensor

INF = 1e30


def _safe_mean(total, count):
    return total / ops.maximum(count, 1.0)


def _sorted_negatives(distances, negative):
    """Each anchor's negative distances in ascending order (padding: `INF`)."""
    ordered = ops.sort(ops.where(negative > 0, distances, INF), axis=1)
    count = ops.cast(ops.sum(negative, axis=1, keepdims=True), "int32")
    return ordered, count


def _rank(ordered, queries, inclusive):
    """How many of each row's sorted values are below each query.

    `ordered` is `(B, B)` ascending per row (padding: `INF`), `queries`
    `(B, Q)`; counts values `< query` (or `<= query` when `inclusive`), one
    batched binary search per row: O(B Q log B) time, O(B Q) memory.
    """
    side = "right" if inclusive else "left"
    return ops.vectorized_map(
        lambda row: ops.cast(ops.searchsorted(row[0], row[1], side=side), "int32"),
        (ordered, queries),
    )


def semi_hard_negatives(distances: Tensor, negative: Tensor) -> Tensor:
    """For every (anchor, positive) pair, FaceNet's semi-hard negative distance.

    The smallest anchor-negative distance larger than the anchor-positive
    distance or, if there is none, the largest anchor-negative distance.
    Each anchor's negatives are sorted once and every pair binary-searches
    them (`searchsorted`): O(B^2 log B) time, O(B^2) memory.

    Args:
        distances: `(B, B)` float32 pairwise distances.
        negative: `(B, B)` float32 mask of the negatives of each anchor
            (from `label_masks`).

    Returns:
        `(B, B)` float32: the semi-hard negative distance of pair `(a, p)`.
    """
    size = ops.shape(distances)[0]
    ordered, count = _sorted_negatives(distances, negative)
    rank = _rank(ordered, distances, inclusive=True)
    found = ops.take_along_axis(ordered, ops.minimum(rank, size - 1), axis=1)
    largest = ops.take_along_axis(ordered, ops.maximum(count - 1, 0), axis=1)
    return ops.where(rank < count, found, largest)


def batch_all_sums(
    distances: Tensor, positive: Tensor, negative: Tensor, margin: float
) -> tuple[Tensor, Tensor]:
    """Sum and number of positive terms of `relu(d(a,p) - d(a,n) + margin)`.

    Over all valid triplets, without the `(B, B, B)` tensor: for a pair
    `(a, p)` with `x = d(a, p) + margin`, the active negatives are those
    with `d(a, n) < x`; with `k` of them, their terms sum to
    `k * x - (sum of the k smallest negative distances)`, read from prefix
    sums of each anchor's sorted negatives.

    Args:
        distances: `(B, B)` float32 pairwise distances.
        positive: `(B, B)` float32 mask of the (anchor, positive) pairs.
        negative: `(B, B)` float32 mask of the negatives of each anchor.
        margin: the triplet margin.

    Returns:
        `(total, active)`: the float32 sum of the terms, and the number of
        triplets whose term is positive.
    """
    ordered, count = _sorted_negatives(distances, negative)
    finite = ops.where(ordered < INF, ordered, 0.0)
    prefix = ops.concatenate(
        [ops.zeros_like(finite[:, :1]), ops.cumsum(finite, axis=1)], 1
    )
    threshold = distances + margin
    active = _rank(ordered, threshold, inclusive=False)
    sums = ops.cast(active, "float32") * threshold - ops.take_along_axis(
        prefix, active, 1
    )
    return ops.sum(sums * positive), ops.sum(ops.cast(active, "float32") * positive)


class _TripletBase(keras.losses.Loss):
    def __init__(self, margin: float, distance: str, name: str, **kwargs: Any) -> None:
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="sum", **kwargs)
        if not margin >= 0:
            raise ValueError(
                f'"margin" must be non-negative. Received: margin={margin!r}'
            )
        self.margin = float(margin)
        self.distance = check_distance(distance)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("reduction", None)
        config.update({"margin": self.margin, "distance": self.distance})
        return config


class _MiningTripletBase(_TripletBase):
    """A triplet loss mined over the whole (global) batch.

    Subclasses define `batch_loss(labels, embeddings)`, the loss of a
    batch on one device.
    """

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        # Mining compares every anchor with every candidate of the batch,
        # so on several replicas each one gathers the global batch, computes
        # the global loss and returns 1/N of it: the shares add up to the
        # loss of one device, and the all-gather's gradient sums the
        # replicas' upstream gradients, so the summed weight gradients are
        # the global loss's too. Local anchors against gathered candidates
        # would also be exact and split the O(B^2) mining, but they need
        # each shard's offset in the global batch; the mining costs little
        # next to the embedding network, which stays split.
        loss = self.batch_loss(all_gather(y_true), all_gather(y_pred))
        return loss / num_replicas()

    def batch_loss(self, labels: Tensor, embeddings: Tensor) -> Tensor:
        """The loss of a whole batch, as one device computes it.

        The abstract hook of the mining losses: each subclass defines it,
        and `call` applies it to the batch gathered from every replica.

        Args:
            labels: `(B,)` labels of the batch.
            embeddings: `(B, D)` embeddings of the batch.

        Returns:
            The float32 scalar loss.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define batch_loss(labels, embeddings)"
        )


@keras.saving.register_keras_serializable(package="keras_patterns")
class TripletSemiHardLoss(_MiningTripletBase):
    """Triplet loss with semi-hard negative mining (FaceNet; TFA semantics).

    For every anchor-positive pair in the batch, the negative is the closest
    one that is still farther than the positive; if there is none, the
    farthest negative. The loss is the mean over all anchor-positive pairs
    (whose anchor has a negative) of `max(d(a, p) - d(a, n) + margin, 0)`.

    Args:
        margin: the margin.
        distance: `"squared_l2"`, `"l2"` or `"cosine"` (1 - cosine).
        name: name of the loss.
        **kwargs: other `keras.losses.Loss` arguments; `reduction` is
            ignored (the loss is already a mean over the batch).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> labels = np.array([0, 0, 1])
    >>> embeddings = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    >>> loss = kp.losses.TripletSemiHardLoss(margin=1.0, distance="l2")
    >>> float(loss(labels, embeddings))  # pair (0,1): 1 - 2 + 1; pair (1,0): 1 - 1 + 1
    0.5

    Reference:
        Schroff et al., "FaceNet: A Unified Embedding for Face Recognition
        and Clustering", CVPR 2015 (arXiv:1503.03832).
    """

    def __init__(
        self,
        margin: float = 1.0,
        distance: str = "squared_l2",
        name: str = "triplet_semihard_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(margin, distance, name, **kwargs)

    def batch_loss(self, labels: Tensor, embeddings: Tensor) -> Tensor:
        distances = pairwise_distances(embeddings, self.distance)
        positive, negative = label_masks(labels)
        has_negative = ops.cast(ops.sum(negative, axis=1, keepdims=True) > 0, "float32")
        pairs = positive * has_negative
        negatives = semi_hard_negatives(distances, negative)
        losses = ops.relu(distances - negatives + self.margin) * pairs
        return _safe_mean(ops.sum(losses), ops.sum(pairs))


@keras.saving.register_keras_serializable(package="keras_patterns")
class TripletHardLoss(_MiningTripletBase):
    """Batch-hard triplet loss (Hermans et al.; TFA semantics).

    For every anchor, the farthest positive and the closest negative of the
    batch; the loss is the mean over anchors that have both of
    `max(d(a, p*) - d(a, n*) + margin, 0)`, or `softplus(d(a, p*) - d(a, n*))`
    with `soft=True` (no margin to tune).

    Args:
        margin: the margin (ignored when `soft`).
        soft: use the soft-margin form.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.
        name: name of the loss.
        **kwargs: other `keras.losses.Loss` arguments; `reduction` is
            ignored (the loss is already a mean over the batch).

    Reference:
        Hermans et al., "In Defense of the Triplet Loss for Person
        Re-Identification", 2017 (arXiv:1703.07737).
    """

    def __init__(
        self,
        margin: float = 1.0,
        soft: bool = False,
        distance: str = "squared_l2",
        name: str = "triplet_hard_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(margin, distance, name, **kwargs)
        self.soft = bool(soft)

    def batch_loss(self, labels: Tensor, embeddings: Tensor) -> Tensor:
        distances = pairwise_distances(embeddings, self.distance)
        positive, negative = label_masks(labels)
        hardest_positive = ops.max(
            distances * positive - INF * (1.0 - positive), axis=1
        )
        hardest_negative = ops.min(distances + INF * (1.0 - negative), axis=1)
        valid = ops.cast(
            ops.logical_and(
                ops.sum(positive, axis=1) > 0, ops.sum(negative, axis=1) > 0
            ),
            "float32",
        )
        gap = ops.where(valid > 0, hardest_positive - hardest_negative, 0.0)
        losses = ops.softplus(gap) if self.soft else ops.relu(gap + self.margin)
        return _safe_mean(ops.sum(losses * valid), ops.sum(valid))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"soft": self.soft})
        return config


@keras.saving.register_keras_serializable(package="keras_patterns")
class TripletBatchAllLoss(_MiningTripletBase):
    """Batch-all triplet loss: the mean over the *active* valid triplets.

    Every (anchor, positive, negative) triplet of the batch counts; the sum
    of `max(d(a, p) - d(a, n) + margin, 0)` is divided by the number of
    triplets whose loss is positive, so easy triplets do not dilute the
    signal as training progresses. The sum is computed from sorted
    distances and prefix sums, so memory stays O(B^2) instead of the
    O(B^3) of materialising every triplet.

    Args:
        margin: the margin.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.
        name: name of the loss.
        **kwargs: other `keras.losses.Loss` arguments; `reduction` is
            ignored (the loss is already a mean over the batch).

    Reference:
        Hermans et al., "In Defense of the Triplet Loss for Person
        Re-Identification", 2017 (arXiv:1703.07737).
    """

    def __init__(
        self,
        margin: float = 1.0,
        distance: str = "squared_l2",
        name: str = "triplet_batch_all_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(margin, distance, name, **kwargs)

    def batch_loss(self, labels: Tensor, embeddings: Tensor) -> Tensor:
        distances = pairwise_distances(embeddings, self.distance)
        positive, negative = label_masks(labels)
        total, active = batch_all_sums(distances, positive, negative, self.margin)
        return _safe_mean(total, active)


@keras.saving.register_keras_serializable(package="keras_patterns")
class TripletLoss(_TripletBase):
    """Triplet loss on explicit (anchor, positive, negative) triplets.

    `y_pred` is `(N, 3, D)`: the embeddings of each triplet's anchor,
    positive and negative (what `SiameseModel` outputs for triplet inputs);
    `y_true` is ignored. The loss is the mean of
    `max(d(a, p) - d(a, n) + margin, 0)`.

    Args:
        margin: the margin.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.
        name: name of the loss.
        **kwargs: other `keras.losses.Loss` arguments; `reduction` is
            ignored (the loss is already a mean over the batch).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> triplet = np.array([[[0.0, 0.0], [0.0, 1.0], [0.0, 3.0]]])
    >>> float(kp.losses.TripletLoss(margin=2.0, distance="l2")(np.zeros(1), triplet))
    0.0
    """

    def __init__(
        self,
        margin: float = 1.0,
        distance: str = "squared_l2",
        name: str = "triplet_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(margin, distance, name, **kwargs)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        anchor, positive, negative = y_pred[:, 0], y_pred[:, 1], y_pred[:, 2]
        d_ap = paired_distances(anchor, positive, self.distance)
        d_an = paired_distances(anchor, negative, self.distance)
        losses = ops.relu(d_ap - d_an + self.margin)
        return global_mean(ops.sum(losses), ops.shape(losses)[0])
