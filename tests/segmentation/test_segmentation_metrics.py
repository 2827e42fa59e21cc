"""Mean IoU on label maps and median frequency class weights."""

import keras
import numpy as np
import pytest
from sklearn.metrics import jaccard_score

from keras_patterns.apps import recipes
from keras_patterns.segmentation import mean_iou
from keras_patterns.segmentation import median_frequency_weights

RNG = np.random.default_rng(0)


def test_mean_iou_matches_scikit_learn_and_keras():
    truth = RNG.integers(0, 5, (3, 20, 16))
    predicted = np.where(RNG.random(truth.shape) < 0.7, truth, RNG.integers(0, 5))
    truth[:, :4] = 255  # ignored rows
    predicted[0, 5:9] = 4  # class 4 predicted where the truth has none there
    valid = truth != 255
    present = np.union1d(truth[valid], predicted[valid])
    reference = jaccard_score(
        truth[valid], predicted[valid], labels=present, average="macro"
    )
    ours = mean_iou(truth, predicted, 6)  # class 5 absent: not counted
    assert ours == pytest.approx(reference, abs=1e-12)
    metric = keras.metrics.MeanIoU(6, ignore_class=255)
    metric.update_state(truth.ravel(), predicted.ravel())
    assert ours == pytest.approx(float(metric.result()), abs=1e-6)


def test_mean_iou_names_bad_input():
    with pytest.raises(ValueError, match='"predicted" must hold ids in \\[0, 3\\)'):
        mean_iou(np.array([0, 1]), np.array([0, 7]), 3)
    with pytest.raises(ValueError, match="same shape"):
        mean_iou(np.zeros((2, 2)), np.zeros((2, 3)), 3)


def test_median_frequency_weights_by_hand():
    # Frequencies 0.6, 0.2, 0.2 (class 3 absent, 255 skipped): median 0.2.
    labels = np.array([0, 0, 0, 1, 2, 255, 255])
    assert median_frequency_weights(labels, 4) == [0.3333, 1.0, 1.0, 1.0]
    # Clipped to [low, high].
    labels = np.array([0] * 98 + [1, 2])
    assert median_frequency_weights(labels, 3, low=0.5, high=2.0) == [0.5, 1.0, 1.0]


def test_recipe_weights_reduce_in_shop_masks_first():
    # 16-class ids: 1 is "top" (9-class id 1), 14 "skin" (9-class id 7).
    masks = np.array([[0, 0, 1, 1, 1, 14]], np.uint8)
    weights = recipes.inshop_class_weights(masks)
    expected = median_frequency_weights(np.array([0, 0, 1, 1, 1, 7]), 9)
    assert weights == expected and len(weights) == 9
