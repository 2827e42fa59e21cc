"""Real-crop figures: the halves by source, NMI and R@1 across sources."""

import numpy as np
import pytest

from keras_patterns.apps import validation


def test_halves_share_no_source_and_report_every_family():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 300)
    sources = labels * 10 + rng.integers(0, 4, 300)  # up to 4 sources a family
    sources[labels == 4] = 40  # a family with one source
    selection, report = validation.split_by_source(labels, sources, seed=3)
    assert not (selection & report).any() and (selection | report).all()
    assert not set(sources[selection]) & set(sources[report])
    assert set(labels[report]) == set(range(5))
    assert 4 not in set(labels[selection])  # a lone source goes to the report


def test_recall_across_sources_counts_other_sources_only():
    # 0 and 1 are copies of one source: without the rule each would find the
    # other; across sources 0 and 1 find 2 (same family), 3 finds 2 (wrong).
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.9, 0.1], [0.8, 0.3]])
    labels = np.array([0, 0, 0, 1])
    sources = np.array(["a", "a", "b", "c"])
    recall, counted = validation.recall_across_sources(vectors, labels, sources)
    # Family 1 has a single source: item 3 is not counted.
    assert counted == 3 and recall == pytest.approx(1.0)
    recall, counted = validation.recall_across_sources(
        vectors, labels, np.array(["a", "a", "a", "c"])
    )
    assert counted == 0 and np.isnan(recall)


def test_kmeans_nmi_of_separated_families_is_one():
    rng = np.random.default_rng(1)
    centres = np.eye(3) * 10
    labels = np.repeat([0, 1, 2], 20)
    vectors = centres[labels] + rng.normal(scale=0.1, size=(60, 3))
    assert validation.kmeans_nmi(vectors, labels, seeds=2) == pytest.approx(1.0)


def test_a_file_without_the_arrays_is_named(tmp_path):
    path = tmp_path / "crops.npz"
    np.savez(path, images=np.zeros((2, 8, 8, 3), np.uint8), labels=[0, 1])
    with pytest.raises(ValueError, match=r"crops\.npz.*Missing: \['source_ids'"):
        validation.load_real_crops(path)


def test_figures_of_an_embedder_that_sees_the_family(tmp_path):
    """An 'embedder' whose vector is the family's one-hot scores 1."""

    class Oracle:
        def embed(self, images):  # the family is drawn in the first pixel
            return np.eye(3)[np.asarray(images)[:, 0, 0, 0] // 100]

    labels = np.repeat([0, 1, 2], 8)
    images = np.zeros((24, 8, 8, 3), np.uint8)
    images[:, :, :, :] = (labels * 100)[:, None, None, None]
    sources = labels * 2 + np.arange(24) % 2
    path = tmp_path / "crops.npz"
    np.savez(
        path,
        images=images,
        labels=labels,
        source_ids=sources,
        class_names=np.array(["a", "b", "c"]),
    )
    figures = validation.real_crop_figures(Oracle(), path)
    # Each family's two sources are split between the halves: in a half no
    # family has two sources, so R@1 across sources counts nothing.
    for part in ("selection", "report"):
        assert figures[part] == {"nmi": 1.0, "recall_at_1": None}
    assert figures["all"] == {"nmi": 1.0, "recall_at_1": 1.0}
