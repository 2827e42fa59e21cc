"""Triplet losses against a brute-force enumeration of every triplet."""

import itertools

import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import gradient

DISTANCES = ("squared_l2", "l2", "cosine")
LAYOUTS = {
    "pairs": [0, 0, 1, 1, 2, 2, 3, 3],
    "uneven": [0, 0, 0, 0, 1, 1, 2, 3, 3, 3, 4],
    "random": list(np.random.default_rng(5).integers(0, 4, 12)),
    "one_class": [7] * 6,
    "all_distinct": list(range(6)),
}


def np_distances(x, kind):
    x = np.asarray(x, np.float64)
    if kind == "cosine":
        n = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1.0 - n @ n.T
    else:
        d = ((x[:, None] - x[None]) ** 2).sum(-1)
        if kind == "l2":
            d = np.sqrt(d)
    np.fill_diagonal(d, 0.0)
    return np.maximum(d, 0.0)


def valid_triplets(labels):
    labels = np.asarray(labels)
    for a, p, n in itertools.product(range(len(labels)), repeat=3):
        if a != p and labels[a] == labels[p] and labels[a] != labels[n]:
            yield a, p, n


def brute_semi_hard(labels, x, margin, kind):
    d, labels = np_distances(x, kind), np.asarray(labels)
    losses = []
    for a, p in itertools.permutations(range(len(labels)), 2):
        negatives = [d[a, n] for n in range(len(labels)) if labels[n] != labels[a]]
        if labels[a] != labels[p] or not negatives:
            continue
        farther = [v for v in negatives if v > d[a, p]]
        negative = min(farther) if farther else max(negatives)
        losses.append(max(d[a, p] - negative + margin, 0.0))
    return np.mean(losses) if losses else 0.0


def brute_hard(labels, x, margin, kind, soft=False):
    d, labels = np_distances(x, kind), np.asarray(labels)
    losses = []
    for a in range(len(labels)):
        positives = [
            d[a, p] for p in range(len(labels)) if p != a and labels[p] == labels[a]
        ]
        negatives = [d[a, n] for n in range(len(labels)) if labels[n] != labels[a]]
        if positives and negatives:
            gap = max(positives) - min(negatives)
            losses.append(np.log1p(np.exp(gap)) if soft else max(gap + margin, 0.0))
    return np.mean(losses) if losses else 0.0


def brute_batch_all(labels, x, margin, kind):
    d = np_distances(x, kind)
    terms = [max(d[a, p] - d[a, n] + margin, 0.0) for a, p, n in valid_triplets(labels)]
    active = sum(t > 0 for t in terms)
    return sum(terms) / active if active else 0.0


def embeddings(n, seed, dim=5):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("kind", DISTANCES)
@pytest.mark.parametrize("strategy", ["semi_hard", "hard", "soft_hard", "batch_all"])
def test_losses_match_brute_force(layout, kind, strategy):
    labels = np.asarray(LAYOUTS[layout])
    for seed in range(3):
        x = embeddings(len(labels), seed)
        margin = {"squared_l2": 2.0, "l2": 1.0, "cosine": 0.3}[kind]
        if strategy == "semi_hard":
            loss = kp.losses.TripletSemiHardLoss(margin, distance=kind)
            expected = brute_semi_hard(labels, x, margin, kind)
        elif strategy == "batch_all":
            loss = kp.losses.TripletBatchAllLoss(margin, distance=kind)
            expected = brute_batch_all(labels, x, margin, kind)
        else:
            soft = strategy == "soft_hard"
            loss = kp.losses.TripletHardLoss(margin, soft=soft, distance=kind)
            expected = brute_hard(labels, x, margin, kind, soft)
        np.testing.assert_allclose(
            float(loss(labels, x)), expected, rtol=1e-5, atol=1e-5
        )


def test_semi_hard_rule_by_hand():
    # 1-D embeddings, l2 distances. Anchor 0 at 0, positive 1 at 2.
    # Negatives at 1 (closer than the positive), 3 and 5 (farther).
    labels = np.array([0, 0, 1, 1, 1])
    x = np.array([[0.0], [2.0], [1.0], [3.0], [5.0]])
    loss = kp.losses.TripletSemiHardLoss(margin=1.5, distance="l2")
    # pair (0,1): d=2, semi-hard negative is 3 (smallest > 2): 2 - 3 + 1.5 = 0.5
    # pair (1,0): d=2, negatives 1, 1, 3 away: 3 > 2 -> 2 - 3 + 1.5 = 0.5
    # pairs among 2, 3, 4 (label 1) against negatives 0 and 1:
    #   (2,3): d=2, negs 1 (to 0), 1 (to 2) -> none > 2 -> largest 1: 2 - 1 + 1.5 = 2.5
    #   (2,4): d=4 -> 4 - 1 + 1.5 = 4.5;  (3,2): d=2, negs 3, 1 -> 3: 0.5
    #   (3,4): d=2 -> 3: 0.5;  (4,2): d=4, negs 5, 3 -> 5: 0.5;  (4,3): d=2 -> 3: 0.5
    expected = (0.5 + 0.5 + 2.5 + 4.5 + 0.5 + 0.5 + 0.5 + 0.5) / 8
    np.testing.assert_allclose(float(loss(labels, x)), expected, rtol=1e-6)
    np.testing.assert_allclose(expected, brute_semi_hard(labels, x, 1.5, "l2"))


def test_explicit_triplet_loss():
    rng = np.random.default_rng(0)
    triplets = rng.normal(size=(7, 3, 4)).astype("float32")
    d_ap = ((triplets[:, 0] - triplets[:, 1]) ** 2).sum(-1)
    d_an = ((triplets[:, 0] - triplets[:, 2]) ** 2).sum(-1)
    expected = np.maximum(d_ap - d_an + 0.5, 0).mean()
    loss = kp.losses.TripletLoss(margin=0.5)
    np.testing.assert_allclose(float(loss(np.zeros(7), triplets)), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "loss",
    [
        kp.losses.TripletSemiHardLoss(0.2, distance="l2"),
        kp.losses.TripletHardLoss(0.2, distance="l2"),
        kp.losses.TripletBatchAllLoss(0.2, distance="l2"),
        kp.losses.TripletSemiHardLoss(0.2),
        kp.losses.TripletHardLoss(soft=True, distance="cosine"),
    ],
    ids=lambda loss: f"{type(loss).__name__}-{loss.distance}",
)
def test_gradients_finite_with_duplicate_embeddings(loss):
    labels = np.array([0, 0, 1, 1, 2])
    x = embeddings(5, 0) * 0.05  # close together: every triplet is active
    x[1] = x[0]  # a positive pair that coincides
    x[3] = x[2]
    x[4] = x[0]  # and a negative coinciding with an anchor
    grad = gradient(lambda v: loss(labels, v), x)
    assert np.all(np.isfinite(grad)) and np.abs(grad).sum() > 0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_inputs_are_computed_in_float32(dtype):
    labels = np.array([0, 0, 1, 1, 2, 2])
    x = embeddings(6, 3)
    low = keras.ops.cast(x, dtype)
    rounded = keras.ops.convert_to_numpy(keras.ops.cast(low, "float32"))
    loss = kp.losses.TripletSemiHardLoss(1.0)
    value = loss(labels, low)
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    np.testing.assert_allclose(
        float(value), brute_semi_hard(labels, rounded, 1.0, "squared_l2"), rtol=1e-4
    )


def test_serialisation_and_validation():
    for loss in (
        kp.losses.TripletSemiHardLoss(0.3, "cosine"),
        kp.losses.TripletHardLoss(0.1, True),
        kp.losses.TripletBatchAllLoss(),
        kp.losses.TripletLoss(0.7, "l2"),
    ):
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(loss)
        )
        assert restored.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="distance"):
        kp.losses.TripletSemiHardLoss(distance="manhattan")
    with pytest.raises(ValueError, match="margin"):
        kp.losses.TripletHardLoss(margin=-1.0)


def test_large_batch_memory_is_quadratic():
    """4,096 embeddings: a (B, B, B) tensor would need 275 GB; this runs."""
    labels = np.repeat(np.arange(512), 8)
    x = np.random.default_rng(0).normal(size=(4096, 16)).astype("float32")
    for loss in (kp.losses.TripletSemiHardLoss(), kp.losses.TripletBatchAllLoss()):
        assert np.isfinite(float(loss(labels, x)))
