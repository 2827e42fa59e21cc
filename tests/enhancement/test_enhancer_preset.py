"""The `textures_x4` enhancer preset: listed, loadable and trained."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.enhancement.sr_evaluation import psnr_against_bicubic

NAME = "textures_x4"
# Found from the package's location, not through the code under test.
PACKAGED = Path(kp.__file__).parent / "presets" / NAME


def test_the_preset_is_listed_with_its_sources_and_figures():
    metadata = json.loads((PACKAGED / "metadata.json").read_text())
    assert kp.models.RRDBNet.presets[NAME] == metadata
    assert (metadata["task"], metadata["class_name"], metadata["scale"]) == (
        "enhancer",
        "RRDBNet",
        4,
    )
    # A reduced RRDB: far below the original's 16.7 M parameters and 10 MB.
    assert metadata["params"] < 3_000_000
    assert (PACKAGED / "model.keras").stat().st_size < 10 * 2**20
    assert metadata["training_sources"], "trained on real images: name them"
    for package, info in metadata["training_sources"].items():
        assert {"version", "licence", "images"} <= set(info), package
    assert {"command", "seed", "seconds", "date"} <= set(metadata["training"])
    for part in ("selection", "report"):
        figures = metadata["validation"]["parts"][part]
        assert figures["psnr"] > figures["bicubic_psnr"], part


def test_from_preset_by_name_equals_the_packaged_file():
    enhancer = kp.models.RRDBNet.from_preset(NAME)
    reference = keras.saving.load_model(PACKAGED / "model.keras", safe_mode=True)
    patches = np.random.default_rng(0).random((2, 16, 16, 3), np.float32)
    upscaled = enhancer.predict(patches, verbose=0)
    assert upscaled.shape == (2, 64, 64, 3)
    np.testing.assert_allclose(
        upscaled, reference.predict(patches, verbose=0), atol=1e-5
    )
    assert enhancer.count_params() == kp.models.RRDBNet.presets[NAME]["params"]


@pytest.mark.parametrize("maker", ["make_texture_patches", "make_pattern_patches"])
def test_the_preset_restores_textures_it_never_saw_better_than_bicubic(maker):
    """Procedural textures (it was trained on photographs only), shrunk x4
    and restored: the enhancer's PSNR beats bicubic's."""
    images = getattr(kp.datasets, maker)(12, (64, 64), seed=99)["images"]
    enhancer = kp.models.RRDBNet.from_preset(NAME)
    network, bicubic = psnr_against_bicubic(enhancer, images)
    assert network > bicubic + 0.5


def test_the_photo_preset_with_this_enhancer_enhances_patches_under_32_pixels():
    """`product_photos` given this preset (it has none: on photos it did not
    pay) upscales the patches whose side is under 32 px, and only those:
    its embeddings equal the preset's own on every other photo."""
    from keras_patterns.datasets.synthetic.product_photos import make_product_photos

    photos = [
        *make_product_photos(2, (576, 432), seed=3)["images"],
        *make_product_photos(2, (160, 120), seed=4)["images"],
    ]
    grouper = kp.PatternGrouper.from_preset(
        "product_photos",
        enhancer=kp.models.RRDBNet.from_preset(NAME),
        enhance_below=32,
        progress=False,
    )
    plain = kp.PatternGrouper.from_preset("product_photos", progress=False)
    assert plain.enhancer is None
    patches = np.random.default_rng(1).random((1, 16, 16, 3), np.float32)
    np.testing.assert_allclose(
        grouper.enhancer.predict(patches, verbose=0),
        kp.models.RRDBNet.from_preset(NAME).predict(patches, verbose=0),
        atol=1e-6,
    )
    enhanced = grouper.embed(photos)
    bicubic = plain.embed(photos)
    flags = []
    for n, item in enumerate(enhanced.items):
        top, left, bottom, right = np.array(item.boxes).T
        small = bool(np.any(np.minimum(bottom - top, right - left) < 32))
        assert item.enhanced == small, (n, item.boxes)
        same = np.allclose(enhanced.embeddings[n], bicubic.embeddings[n], atol=1e-5)
        assert same != small, n
        flags.append(small)
    assert True in flags and False in flags  # both cases are exercised
