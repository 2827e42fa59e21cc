"""Writes the saved models and grouper that `tests/test_legacy_files.py` loads.

They were written by keras-patterns 0.1.0 at commit 2278ca4, before the
modules moved (the upsampling and preprocessing layers to
`keras_patterns.modeling`, the demo and the recipes to `keras_patterns.apps`),
so the test proves that files saved by earlier versions still load, with
`safe_mode=True`, and compute what they computed. Run it with the old
version installed, from the repository root:

    python tests/data/legacy/make_legacy_files.py tests/data/legacy
"""

import sys
from pathlib import Path

import keras
import numpy as np
from PIL import Image

import keras_patterns as kp

SMALL = {"aspp_filters": 8, "decoder_filters": 8, "low_level_filters": 4}


def tiny_backbone():
    inputs = keras.Input((None, None, 3))
    x = inputs
    for name, filters in (("s2", 8), ("s4", 8), ("s8", 16), ("s16", 16)):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", name=name)(x)
    return keras.Model(inputs, x, name="tiny")


def segmenter(num_classes):
    return kp.models.DeepLabV3Plus(
        num_classes,
        backbone=tiny_backbone(),
        low_level_feature="s4",
        high_level_feature="s16",
        fine_level_feature="s2",
        refine_filters=4,
        preprocessing="tf",
        **SMALL,
    )


def main(out):
    out = Path(out)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    photos = kp.datasets.make_pattern_garments(6, (96, 64), seed=3)["images"]
    models = {
        "deeplab": (segmenter(3), rng.random((2, 40, 36, 3))),
        "rrdbnet_x4": (
            kp.models.RRDBNet(
                4, num_blocks=1, filters=8, growth=4, image_residual=True
            ),
            rng.random((2, 6, 5, 3)),
        ),
        "rrdbnet_x2": (
            kp.models.RRDBNet(2, num_blocks=1, filters=8, growth=4),
            rng.random((1, 8, 6, 3)),
        ),
        "embedder": (
            kp.models.PatternEmbedder(kp.embedding.texture_cnn(width=4), 8),
            rng.random((2, 32, 32, 3)),
        ),
    }
    # Untrained (files without optimizer state stay small); the segmenter is
    # compiled, so its loss is saved with it.
    models["deeplab"][0].compile()
    expected = {}
    for name, (model, x) in models.items():
        x = x.astype("float32")
        model.save(out / f"{name}.keras")
        expected[f"{name}_input"] = x
        expected[f"{name}_output"] = keras.ops.convert_to_numpy(model(x))
    siamese = kp.models.SiameseModel(models["embedder"][0])
    siamese.compile()
    siamese.save(out / "siamese.keras")

    seg = segmenter(9)
    bias = seg.get_layer("logits").bias
    # "top" (id 1) wins every pixel: each photo's patch is its largest square.
    bias.assign(np.where(np.arange(9) == 1, 10.0, 0.0).astype("float32"))
    grouper = kp.PatternGrouper(
        seg,
        models["rrdbnet_x4"][0],
        models["embedder"][0],
        kp.clustering.KMeans(2, random_state=0),
        patch_size=32,
        enhance_below=24,
        progress=False,
    )
    result = grouper.fit_group(photos)
    grouper.save(out / "grouper")
    (out / "grouper_photos").mkdir(exist_ok=True)
    for i, photo in enumerate(photos):
        Image.fromarray(photo).save(out / "grouper_photos" / f"{i}.png")
    expected["grouper_assignments"] = result.assignments
    expected["grouper_embeddings"] = result.embeddings
    np.savez(out / "expected.npz", **expected)
    print(f"written to {out}; grouped {result.assignments}")


if __name__ == "__main__":
    main(sys.argv[1])
