"""The end-to-end demo: its outputs and how it shares the clock."""

import keras
from PIL import Image

import keras_patterns as kp
from keras_patterns.apps import demo
from keras_patterns.apps import recipes


def test_demo_end_to_end_with_a_tiny_budget(tmp_path, monkeypatch, capsys):
    tiny = {
        "seconds": 600,
        "photos_per_family": 3,
        "seg_steps": 2,
        "seg_scenes": 16,
        "sr_steps": 2,
        "emb_steps": 2,
        "emb_items": 64,
        "emb_size": 32,
    }
    monkeypatch.setitem(demo.BUDGETS, "quick", tiny)
    limits = {}

    def spy(name, train):
        def wrapped(*args, **kwargs):
            limits[name] = kwargs["seconds"]
            return train(*args, **kwargs)

        return wrapped

    for name in ("train_segmenter", "train_embedder"):
        monkeypatch.setattr(recipes, name, spy(name, getattr(recipes, name)))
    summary = demo.run_demo(tmp_path, quick=True, progress=False, log=lambda *a: None)
    assert summary["photos"] == 48
    assert {"nmi", "ari", "segmenter_mean_iou", "enhancer_psnr_db", "seconds"} <= set(
        summary
    )
    for name in (
        "summary.json",
        "groups.csv",
        "groups.json",
        "contact_sheet.png",
        "catalogue.csv",
        "grouper/config.json",
    ):
        assert (tmp_path / name).is_file(), name
    # The pictures: each model's training curves, the map of the embeddings.
    for name in (
        "embedding_map.png",
        "curves/segmenter.png",
        "curves/enhancer.png",
        "curves/embedder.png",
    ):
        with Image.open(tmp_path / name) as picture:
            assert picture.format == "PNG" and min(picture.size) >= 300, name
    restored = kp.PatternGrouper.load(tmp_path / "grouper", progress=False)
    assert isinstance(restored.segmenter, keras.Model)
    # Each training stage got its share of the 600 s left: the segmenter
    # SEGMENTER_SHARE, the embedder what was left less the quick reserve.
    share = 600 * demo.SEGMENTER_SHARE
    assert share - 50 < limits["train_segmenter"] <= share
    assert 10 < limits["train_embedder"] < 600 - demo.RESERVE["quick"]


def test_demo_clock_shares_the_time_left(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(demo.time, "perf_counter", lambda: now[0])
    clock = demo._Clock(lambda *args: None, 800)
    now[0] = 300.0
    assert clock.left(0.5) == 300.0
    assert clock.left(reserve=120) == 480.0
    now[0] = 1000.0  # past the deadline: a token budget, never negative
    assert clock.left() == 10.0
