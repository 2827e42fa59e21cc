import numpy as np
import pytest

import keras_patterns as kp


def brute_retrieval(q, ql, g, gl, ks, self_search):
    recalls = {k: [] for k in ks}
    aps = []
    for i, (vector, label) in enumerate(zip(q, ql, strict=True)):
        d = ((g - vector) ** 2).sum(1)
        idx = [j for j in np.argsort(d, kind="stable") if not (self_search and j == i)]
        rel = [gl[j] == label for j in idx]
        r = sum(rel)
        if r == 0:
            continue
        for k in ks:
            recalls[k].append(any(rel[:k]))
        hits, ap = 0, 0.0
        for rank, relevant in enumerate(rel[:r], start=1):
            if relevant:
                hits += 1
                ap += hits / rank
        aps.append(ap / r)
    return {**{f"recall@{k}": np.mean(recalls[k]) for k in ks}, "map@r": np.mean(aps)}


@pytest.mark.parametrize("self_search", [False, True])
def test_matches_brute_force(self_search):
    rng = np.random.default_rng(0)
    q, ql = rng.normal(size=(40, 3)), rng.integers(0, 6, 40)
    g, gl = (
        (q, ql) if self_search else (rng.normal(size=(70, 3)), rng.integers(0, 6, 70))
    )
    result = kp.metrics.evaluate_retrieval(
        None, (q, ql), None if self_search else (g, gl), ks=(1, 5, 10), chunk=7
    )
    expected = brute_retrieval(q, ql, g, gl, (1, 5, 10), self_search)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value), key


def test_perfect_and_hopeless_embeddings():
    labels = np.repeat(np.arange(5), 4)
    perfect = np.eye(5)[labels] + np.random.default_rng(1).normal(0, 0.01, (20, 5))
    result = kp.metrics.evaluate_retrieval(None, (perfect, labels))
    assert result["recall@1"] == 1.0 and result["map@r"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="matching label"):
        kp.metrics.evaluate_retrieval(
            None, (perfect[:2], [0, 1]), (perfect[2:4], [2, 3])
        )
    with pytest.raises(ValueError, match="embedder"):
        kp.metrics.evaluate_retrieval(None, (np.zeros((2, 8, 8, 3)), [0, 1]))


def test_with_an_embedder():
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=4)
    data = kp.datasets.make_pattern_patches(8, (32, 32), views_per_item=2)
    result = kp.metrics.evaluate_retrieval(
        embedder, (data["images"], data["item_id"]), ks=(1, 5)
    )
    assert set(result) == {"recall@1", "recall@5", "map@r"}


def test_recall_at_k_metric():
    metric = kp.metrics.RecallAtK(k=2)
    labels = np.array([0, 0, 1, 1, 2])
    x = np.array([[0.0], [0.3], [0.1], [5.0], [0.2]])
    metric.update_state(labels, x)
    # anchor 0: nearest 0.1 (1), 0.2 (2) -> miss; 1: 0.2 (2), 0.1 (1) -> miss;
    # 2: 0.0 (0) and 0.2 (2) -> miss; 3: 0.3 (0), 0.2 (2) -> miss; 4 has no positive.
    assert float(metric.result()) == 0.0
    # k=3 adds one neighbour: anchor 0 gains 0.3 (0) -> hit; 1 gains 0.0 (0)
    # -> hit; 2 gains 0.3 (0) -> miss; 3 gains 0.1 (1) -> hit.
    metric = kp.metrics.RecallAtK(k=3)
    metric.update_state(labels, x)
    assert float(metric.result()) == pytest.approx(3 / 4)


def test_triplet_statistics():
    labels = np.array([0, 0, 1, 1])
    x = np.array([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 2.0]])
    pos = kp.metrics.TripletStatistic("positive_distance", distance="l2")
    neg = kp.metrics.TripletStatistic("negative_distance", distance="l2")
    act = kp.metrics.TripletStatistic("active_triplets", margin=2.5, distance="l2")
    for metric in (pos, neg, act):
        metric.update_state(labels, x)
    assert float(pos.result()) == pytest.approx((1 + 1 + 2 + 2) / 4)
    d = {(0, 2): 3.0, (0, 3): 13**0.5, (1, 2): 10**0.5, (1, 3): 10**0.5}
    assert float(neg.result()) == pytest.approx(2 * sum(d.values()) / 8)
    active = sum(
        1
        for a, p, n in [
            (0, 1, 2),
            (0, 1, 3),
            (1, 0, 2),
            (1, 0, 3),
            (2, 3, 0),
            (2, 3, 1),
            (3, 2, 0),
            (3, 2, 1),
        ]
        if {(0, 1): 1, (2, 3): 2}[tuple(sorted((a, p)))]
        - d[tuple(sorted((a, n)))]
        + 2.5
        > 0
    )
    assert float(act.result()) == pytest.approx(active / 8)
    with pytest.raises(ValueError, match="statistic"):
        kp.metrics.TripletStatistic("loss")
