"""The training recipes: data drawn for each stage and its budgets."""

import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.apps import recipes
from keras_patterns.cli import build_parser
from keras_patterns.utils.images import resize_image


def test_garment_patches_come_from_the_main_garment():
    data = recipes.garment_patches(8, side=40, photo_size=(128, 96), seed=5)
    scenes = kp.datasets.make_pattern_garments(8, (128, 96), seed=5)
    assert data["images"].shape[1:] == (40, 40, 3) and data["images"].dtype == np.uint8
    # Every photo's garment yields a patch here, labelled with its family.
    np.testing.assert_array_equal(data["pattern"], scenes["pattern"])
    with pytest.raises(ValueError, match="source"):
        recipes.train_embedder(steps=1, source="photos")


@pytest.mark.parametrize(
    "label_names, garment",
    [
        (kp.datasets.NINE_CLASSES, "top"),
        (kp.modeling.labels.PHOTO_CLASSES, "pants"),  # ids of its own order
    ],
)
def test_garment_patches_from_a_segmenters_predictions(label_names, garment):
    class EverythingIsOneGarment:
        def __init__(self):
            self.sizes = []

        def predict_labels(self, images, batch_size=8):
            self.sizes.append(images.shape[1:3])
            return np.full(images.shape[:3], label_names.index(garment), np.uint8)

    segmenter = EverythingIsOneGarment()
    merges = kp.modeling.labels.PHOTO_MERGES if "skirt" in label_names else None
    data = recipes.garment_patches(
        12,
        side=24,
        photo_size=(128, 96),
        segmenter=segmenter,
        segment_size=(32, 24),
        label_names=label_names,
        merges=merges,
    )
    scenes = kp.datasets.make_pattern_garments(12, (128, 96), seed=0)
    chosen = scenes["garment"] == garment
    assert segmenter.sizes == [(32, 24)] and chosen.any()
    # Every photo keeps its family: the chosen garment's photos are cut from
    # the prediction (the whole frame is that garment, so the patch is the
    # photo's centred 96 x 96 square, resized to 24), the others fall back
    # to the true mask.
    np.testing.assert_array_equal(data["pattern"], scenes["pattern"])
    for first in np.flatnonzero(chosen):
        expected = resize_image(scenes["images"][first][16:112], (24, 24))
        np.testing.assert_array_equal(data["images"][first], expected)


def test_trained_models_keep_their_training_history():
    segmenter = recipes.train_segmenter(
        steps=2, scenes=8, size=(64, 48), filters=16, verbose=0
    )
    logs = segmenter.history.history
    assert {"loss", "mean_iou"} <= set(logs)
    assert len(logs["loss"]) == 2  # two steps: two epochs of one step
    assert all(0.0 <= v <= 1.0 for v in logs["mean_iou"])
    generator = recipes.train_enhancer(
        steps=3, patches=16, num_blocks=1, filters=8, growth=4, verbose=0
    )
    assert len(generator.history.history["loss"]) == 3
    assert np.isfinite(generator.history.history["loss"]).all()


def test_train_embedder_fine_tunes_a_preset(monkeypatch):
    """With `initial`, the recipe trains that embedder's architecture from it."""
    seen = {}

    def fake_train(images, labels, steps, **kwargs):
        seen.update(kwargs, steps=steps, families=len(np.unique(labels)))
        seen.update(images=np.asarray(images), labels=np.asarray(labels))
        return kwargs["initial"]

    monkeypatch.setattr(recipes, "train_pattern_embedder", fake_train)
    preset = kp.models.PatternEmbedder.from_preset("patterns_synthetic")
    width = preset.backbone.get_layer("stage0_conv0").filters
    model = recipes.train_embedder(steps=3, items=32, size=32, initial=preset)
    assert model is preset
    assert seen["initial"] is preset and seen["steps"] == 3
    assert seen["width"] == width and seen["embedding_dim"] == preset.embedding_dim
    assert seen["families"] == len(kp.datasets.PATTERN_FAMILIES)
    # Rehearsal: the preset's ten texture families join, labelled apart.
    model = recipes.train_embedder(
        steps=3, items=32, size=32, initial=preset, rehearse=20, train_backbone=False
    )
    families = len(kp.datasets.PATTERN_FAMILIES)
    assert len(seen["images"]) == 32 + 20 and seen["train_backbone"] is False
    rehearsed = seen["labels"][32:]
    assert rehearsed.min() >= families and seen["labels"][:32].max() < families
    expected = kp.datasets.make_texture_patches(20, (40, 40), seed=1)
    np.testing.assert_array_equal(rehearsed - families, expected["family"])
    np.testing.assert_array_equal(seen["images"][32:], expected["images"])
    parser = build_parser()
    assert parser.parse_args(["demo", "--out", "x"]).from_preset == "patterns_synthetic"
    args = parser.parse_args(["demo", "--out", "x", "--from-scratch"])
    assert args.from_preset is None
    args = parser.parse_args(["demo", "--out", "x", "--from-preset", "mine"])
    assert args.from_preset == "mine"
