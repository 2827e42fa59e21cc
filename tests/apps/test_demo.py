"""The end-to-end demo: its outputs and how it shares the clock."""

import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.apps import demo
from keras_patterns.apps import recipes
from keras_patterns.apps.validation import real_crop_figures

TINY = {
    "seconds": 600,
    "photos_per_family": 3,
    "seg_steps": 2,
    "seg_scenes": 16,
    "sr_steps": 2,
    "emb_steps": 2,
    "emb_items": 64,
    "emb_rehearse": 32,
    "emb_size": 32,
}


def spy_on_training(monkeypatch):
    """The `seconds` each recipe trainer is given, by name."""
    limits = {}

    def spy(name, train):
        def wrapped(*args, **kwargs):
            limits[name] = kwargs["seconds"]
            return train(*args, **kwargs)

        return wrapped

    for name in ("train_segmenter", "train_embedder"):
        monkeypatch.setattr(recipes, name, spy(name, getattr(recipes, name)))
    return limits


@pytest.mark.end_to_end
def test_demo_end_to_end_with_a_tiny_budget(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(demo.BUDGETS, "quick", TINY)
    limits = spy_on_training(monkeypatch)
    # A stand-in for real crops: 4 families of 2 sources each.
    crops = kp.datasets.make_pattern_patches(32, (48, 48), families=[0, 1, 2, 3])
    validation = tmp_path / "crops.npz"
    np.savez(
        validation,
        images=crops["images"],
        labels=crops["pattern"],
        source_ids=crops["pattern"] * 2 + np.arange(32) // 4 % 2,
        class_names=np.array(["a", "b", "c", "d"]),
    )
    lines = []
    out = tmp_path / "demo"
    summary = demo.run_demo(
        out, quick=True, progress=False, log=lines.append, validation=validation
    )
    assert summary["photos"] == 48
    assert {"nmi", "ari", "segmenter_mean_iou", "enhancer_psnr_db", "seconds"} <= set(
        summary
    )
    # The catalogue is grouped with the preset as it is, then fine-tuned.
    assert set(summary["before_fine_tuning"]) == {"nmi", "ari"}
    assert any(line.startswith("with the embedder preset as it is") for line in lines)
    assert [line[:5] for line in lines if line.startswith("[")] == [
        f"[{i}/7]" for i in range(1, 8)
    ]
    for name in (
        "summary.json",
        "groups.csv",
        "groups.json",
        "contact_sheet.png",
        "catalogue.csv",
        "grouper/config.json",
    ):
        assert (out / name).is_file(), name
    # The pictures: the trained models' curves, the map of the embeddings.
    for name in ("embedding_map.png", "curves/embedder.png"):
        with Image.open(out / name) as picture:
            assert picture.format == "PNG" and min(picture.size) >= 300, name
    assert not (out / "curves" / "segmenter.png").exists()
    assert not (out / "curves" / "enhancer.png").exists()
    # The enhancer is the preset's, kept: it beats bicubic on held-out fabric.
    enhancer = kp.models.RRDBNet.from_preset("textures_x4")
    assert summary["enhancer_preset"] == "textures_x4" and summary["enhancer_used"]
    assert summary["enhancer_psnr_db"] > summary["bicubic_psnr_db"]
    restored = kp.PatternGrouper.load(out / "grouper", progress=False)
    for before, after in zip(enhancer.weights, restored.enhancer.weights, strict=True):
        np.testing.assert_array_equal(before, after)
    # The segmenter is the preset's, with its classes.
    segmenter = kp.models.DeepLabV3Plus.from_preset("garments_synthetic")
    assert summary["segmenter_preset"] == "garments_synthetic"
    assert restored.label_names == kp.modeling.labels.PHOTO_CLASSES
    for before, after in zip(
        segmenter.weights, restored.segmenter.weights, strict=True
    ):
        np.testing.assert_array_equal(before, after)
    # The preset's head was fine-tuned, its backbone kept as it was.
    preset = kp.models.PatternEmbedder.from_preset("patterns_synthetic")
    assert summary["fine_tune"] == "head"
    for before, after in zip(
        preset.backbone.weights, restored.embedder.backbone.weights, strict=True
    ):
        np.testing.assert_array_equal(before, after)
    # Before and after on the real crops, and the line that says so.
    expected = real_crop_figures(preset, validation, 32)
    assert summary["real_crops"]["before"] == expected
    assert summary["real_crops"]["after"] == real_crop_figures(
        restored.embedder, validation, 32
    )
    assert any(
        line.startswith("real crops (report half): preset NMI") for line in lines
    )
    # No segmenter trained; the embedder had what was left less the reserve.
    assert "train_segmenter" not in limits
    assert 10 < limits["train_embedder"] < 600 - demo.RESERVE["quick"]


@pytest.mark.end_to_end
def test_demo_trains_a_segmenter_within_its_share(tmp_path, monkeypatch):
    monkeypatch.setitem(demo.BUDGETS, "quick", TINY)
    limits = spy_on_training(monkeypatch)
    out = tmp_path / "demo"
    summary = demo.run_demo(
        out,
        quick=True,
        progress=False,
        log=lambda line: None,
        fine_tune="none",
        segmenter_preset=None,
        enhancer_preset=None,
    )
    assert summary["segmenter_preset"] is None and "before_fine_tuning" not in summary
    assert summary["enhancer_preset"] is None
    assert (out / "curves" / "segmenter.png").is_file()
    assert (out / "curves" / "enhancer.png").is_file()
    restored = kp.PatternGrouper.load(out / "grouper", progress=False)
    assert restored.label_names == kp.modeling.labels.NINE_CLASSES
    # The segmenter had SEGMENTER_SHARE of the 600 s left; no embedder trained.
    share = 600 * demo.SEGMENTER_SHARE
    assert share - 50 < limits["train_segmenter"] <= share
    assert "train_embedder" not in limits


def test_demo_clock_shares_the_time_left(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(demo.time, "perf_counter", lambda: now[0])
    clock = demo._Clock(lambda *args: None, 800)
    now[0] = 300.0
    assert clock.left(0.5) == 300.0
    assert clock.left(reserve=120) == 480.0
    now[0] = 1000.0  # past the deadline: a token budget, never negative
    assert clock.left() == 10.0
