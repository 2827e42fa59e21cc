"""Pairwise distances between embeddings, safe to differentiate everywhere."""

from keras import ops

from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice

DISTANCES = ("squared_l2", "l2", "cosine")


def check_distance(distance: str) -> str:
    """Returns `distance` if it is one of `DISTANCES`, or raises.

    Args:
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.

    Returns:
        `distance`, unchanged.
    """
    check_choice(distance, DISTANCES, "distance")
    return distance


def pairwise_distances(embeddings: Tensor, distance: str = "squared_l2") -> Tensor:
    """`(B, B)` distances between the rows of `embeddings` `(B, D)`, in float32.

    `squared_l2` is `|a|^2 + |b|^2 - 2 a.b` clamped at 0; `l2` its square
    root, with the square root skipped where the squared distance is 0 so
    the gradient stays finite when two embeddings coincide (as TensorFlow
    Addons did); `cosine` is `1 - cos(a, b)`. The diagonal is exactly 0.

    Args:
        embeddings: `(B, D)` embeddings, one per row.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.

    Returns:
        The `(B, B)` float32 distance matrix.
    """
    check_distance(distance)
    x = ops.cast(embeddings, "float32")
    size = ops.shape(x)[0]
    if distance == "cosine":
        norm = ops.sqrt(
            ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-24)
        )
        x = x / norm
        result = 1.0 - ops.matmul(x, ops.transpose(x))
    else:
        squared_norms = ops.sum(ops.square(x), axis=1)
        result = (
            squared_norms[:, None]
            + squared_norms[None, :]
            - 2.0 * ops.matmul(x, ops.transpose(x))
        )
    result = ops.maximum(result, 0.0)
    if distance == "l2":
        zero = ops.cast(ops.less_equal(result, 0.0), "float32")
        result = ops.sqrt(result + zero * 1e-16) * (1.0 - zero)
    off_diagonal = 1.0 - ops.eye(size, dtype="float32")
    return result * off_diagonal


def paired_distances(a: Tensor, b: Tensor, distance: str = "squared_l2") -> Tensor:
    """Row-wise distances `(N,)` between `a` and `b`, both `(N, D)`, in float32.

    Args:
        a: `(N, D)` embeddings.
        b: `(N, D)` embeddings, row `i` paired with row `i` of `a`.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`, as in
            `pairwise_distances`.

    Returns:
        The `(N,)` float32 distances.
    """
    check_distance(distance)
    a, b = ops.cast(a, "float32"), ops.cast(b, "float32")
    if distance == "cosine":
        a = a / ops.sqrt(
            ops.maximum(ops.sum(ops.square(a), axis=1, keepdims=True), 1e-24)
        )
        b = b / ops.sqrt(
            ops.maximum(ops.sum(ops.square(b), axis=1, keepdims=True), 1e-24)
        )
        return 1.0 - ops.sum(a * b, axis=1)
    squared = ops.sum(ops.square(a - b), axis=1)
    if distance == "squared_l2":
        return squared
    zero = ops.cast(ops.less_equal(squared, 0.0), "float32")
    return ops.sqrt(squared + zero * 1e-16) * (1.0 - zero)


def label_masks(labels: Tensor) -> tuple[Tensor, Tensor]:
    """`(positive, negative)` float32 `(B, B)` masks; positives exclude the diagonal.

    Args:
        labels: `(B,)` integer labels (any shape with `B` values).

    Returns:
        `(positive, negative)`: 1 where rows `i` and `j` share a label
        (`i != j`), and 1 where their labels differ.
    """
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    same = ops.cast(ops.equal(labels[:, None], labels[None, :]), "float32")
    size = ops.shape(labels)[0]
    return same * (1.0 - ops.eye(size, dtype="float32")), 1.0 - same
