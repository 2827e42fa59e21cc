"""A TensorFlow Addons-style semi-hard triplet loss, the peer of the benchmarks.

TensorFlow Addons' `tfa.losses.triplet_semihard_loss` (which did not survive
Keras 3) finds every anchor-positive pair's semi-hard negative without a loop
by comparing all (anchor, positive, candidate negative) triples at once:

1. the `(B, B)` pairwise distance matrix `d` (L2, or squared L2) and the
   same-label mask;
2. the distance matrix tiled `B` times into a `(B * B, B)` matrix, one row
   per (positive, anchor) pair holding the anchor's distances to every
   example, compared with that pair's anchor-positive distance: the
   candidates are the anchor's negatives farther than the positive;
3. a masked minimum of each row over its candidates (the semi-hard
   negative) and, for pairs with no candidate, a masked maximum of the
   anchor's row of `d` over its negatives (the farthest negative);
4. the mean over all anchor-positive pairs (`a != p`, same label) of
   `max(d(a, p) - d(a, n) + margin, 0)`.

The masked minimum and maximum use TFA's arithmetic trick (shift the row by
its maximum or minimum, multiply by the mask, reduce, shift back) rather than
a `where`. This is a re-implementation from that description in `keras.ops`,
so it runs on every Keras backend; TFA is not needed.

Memory is O(B^3): each float32 `(B * B, B)` matrix is `4 B^3` bytes (4 GiB at
B = 1,024), and several are live at once.

Semantics, as in TFA: the mean counts every anchor-positive pair, including
pairs whose anchor has no negative in the batch (their negative distance is
then the anchor's smallest distance, 0); with no anchor-positive pair at all
the loss is 0 / 0.
"""

from keras import ops


def pairwise_distance(embeddings, squared=False):
    """`(B, B)` L2 (or squared L2) distances, clamped at 0, zero diagonal.

    Args:
        embeddings: `(B, D)` embeddings, one per row.
        squared: squared L2 distances instead of L2 (TFA's `"squared-L2"`;
            its default, `"L2"`, is not squared).

    Returns:
        The `(B, B)` float32 distance matrix.
    """
    x = ops.cast(embeddings, "float32")
    norms = ops.sum(ops.square(x), axis=1)
    result = norms[:, None] + norms[None, :] - 2.0 * ops.matmul(x, ops.transpose(x))
    result = ops.maximum(result, 0.0)
    if not squared:
        # The square root skipped at 0, so that its gradient stays finite.
        zero = ops.cast(ops.less_equal(result, 0.0), "float32")
        result = ops.sqrt(result + zero * 1e-16) * (1.0 - zero)
    return result * (1.0 - ops.eye(ops.shape(x)[0], dtype="float32"))


def masked_minimum(data, mask):
    """Each row's minimum over the entries where `mask` is 1, `(N, 1)`.

    Rows are shifted by their maximum so the masked-out entries (0 after
    the product) cannot win; a row with an empty mask gives its maximum.
    """
    top = ops.max(data, axis=1, keepdims=True)
    return ops.min((data - top) * mask, axis=1, keepdims=True) + top


def masked_maximum(data, mask):
    """Each row's maximum over the entries where `mask` is 1, `(N, 1)`.

    Rows are shifted by their minimum so the masked-out entries (0 after
    the product) cannot win; a row with an empty mask gives its minimum.
    """
    bottom = ops.min(data, axis=1, keepdims=True)
    return ops.max((data - bottom) * mask, axis=1, keepdims=True) + bottom


def tfa_style_semi_hard_loss(labels, embeddings, margin=1.0, squared=False):
    """The semi-hard triplet loss, computed as TensorFlow Addons does.

    Args:
        labels: `(B,)` integer labels.
        embeddings: `(B, D)` embeddings.
        margin: the triplet margin.
        squared: squared L2 distances (TFA's `distance_metric="squared-L2"`)
            instead of L2 (its default, `"L2"`).

    Returns:
        The float32 scalar loss.
    """
    distances = pairwise_distance(embeddings, squared)
    size = ops.shape(distances)[0]
    labels = ops.reshape(ops.cast(labels, "int32"), (-1, 1))
    same = ops.equal(labels, ops.transpose(labels))
    other = ops.logical_not(same)
    # Row p * B + a: anchor a's distances, against d(a, p).
    tiled = ops.tile(distances, (size, 1))
    threshold = ops.reshape(ops.transpose(distances), (-1, 1))
    farther = ops.cast(
        ops.logical_and(ops.tile(other, (size, 1)), ops.greater(tiled, threshold)),
        "float32",
    )
    has_farther = ops.transpose(
        ops.reshape(ops.sum(farther, axis=1) > 0.0, (size, size))
    )
    nearest_farther = ops.transpose(
        ops.reshape(masked_minimum(tiled, farther), (size, size))
    )
    farthest = masked_maximum(distances, ops.cast(other, "float32"))
    negatives = ops.where(has_farther, nearest_farther, farthest)
    positive = ops.cast(same, "float32") - ops.eye(size, dtype="float32")
    losses = ops.maximum((distances - negatives + margin) * positive, 0.0)
    return ops.sum(losses) / ops.sum(positive)
