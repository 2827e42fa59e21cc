"""`psnr_against_bicubic` against a bicubic restoration computed here."""

import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.enhancement import psnr_against_bicubic
from keras_patterns.metrics import psnr
from keras_patterns.utils.lazy_tensorflow import tf


@pytest.fixture(scope="module")
def images():
    return kp.datasets.make_pattern_patches(3, (32, 32), seed=1)["images"]


def test_bicubic_figure_is_bicubic_and_residual_net_matches_it(images):
    net = kp.models.RRDBNet(
        4, num_blocks=1, filters=8, growth=4, image_residual=True
    )  # untrained: the last convolution is zero, so it is exactly bicubic
    ours, bicubic = psnr_against_bicubic(net, images)
    high = images.astype(np.float32) / 255.0
    low = kp.enhancement.degrade(tf.constant(high), 4)
    restored = np.clip(tf.image.resize(low, (32, 32), method="bicubic"), 0, 1)
    assert bicubic == pytest.approx(
        psnr(restored, high, y_channel=True, crop_border=4), abs=1e-6
    )
    assert ours == pytest.approx(bicubic, abs=1e-3)


def test_a_worse_generator_scores_below_bicubic(images):
    worse = kp.models.RRDBNet(4, num_blocks=1, filters=8, growth=4)  # random
    ours, bicubic = psnr_against_bicubic(worse, images)
    assert ours < bicubic


def test_images_are_checked():
    net = kp.models.RRDBNet(4, num_blocks=1, filters=8, growth=4)
    with pytest.raises(ValueError, match='"images" must have shape'):
        psnr_against_bicubic(net, np.zeros((32, 32, 3), np.uint8))
