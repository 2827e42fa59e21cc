"""Files saved by keras-patterns 0.1.0, before modules moved, still load.

`tests/data/legacy` holds models and a fitted grouper written at commit
2278ca4 by `tests/data/legacy/make_legacy_files.py`, when the upsampling and
preprocessing layers lived in `segmentation` and `enhancement`. They must
load with `safe_mode=True`, without `custom_objects`, and compute what they
computed then.
"""

from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp

LEGACY = Path(__file__).resolve().parent / "data" / "legacy"


@pytest.fixture(scope="module")
def expected():
    return np.load(LEGACY / "expected.npz")


@pytest.mark.parametrize("name", ["deeplab", "rrdbnet_x4", "rrdbnet_x2", "embedder"])
def test_saved_models_load_and_compute_the_same(name, expected):
    model = keras.saving.load_model(LEGACY / f"{name}.keras", safe_mode=True)
    output = keras.ops.convert_to_numpy(model(expected[f"{name}_input"]))
    np.testing.assert_allclose(output, expected[f"{name}_output"], atol=1e-5)


def test_saved_segmenter_keeps_its_compiled_loss():
    model = keras.saving.load_model(LEGACY / "deeplab.keras", safe_mode=True)
    assert isinstance(model.loss, kp.losses.MaskedSparseCategoricalCrossentropy)


def test_saved_siamese_model_loads():
    model = keras.saving.load_model(LEGACY / "siamese.keras", safe_mode=True)
    assert isinstance(model, kp.models.SiameseModel)
    assert isinstance(model.embedder, kp.models.PatternEmbedder)


def test_saved_grouper_loads_and_groups_the_same(expected):
    grouper = kp.PatternGrouper.load(LEGACY / "grouper", progress=False)
    photos = [
        np.asarray(Image.open(LEGACY / "grouper_photos" / f"{i}.png"))
        for i in range(len(expected["grouper_assignments"]))
    ]
    result = grouper.group(photos)
    np.testing.assert_array_equal(result.assignments, expected["grouper_assignments"])
    np.testing.assert_allclose(
        result.embeddings, expected["grouper_embeddings"], atol=1e-4
    )
