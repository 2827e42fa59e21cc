"""The speed-ups behind small design choices, each against its plain peer.

Each line times a choice the code makes and the obvious alternative, in the
same run, best of several repeats:

* `atrous_conv` drops the kernel taps of a dilated 3x3 convolution that only
  see padding (rates 12 and 18 on the 8x6 maps of a 128x96 input) against
  the full dilated convolution;
* `rgb_mask_to_labels` reads a contiguous RGBA mask (what Pillow decodes
  In-shop's PNGs to) as uint32, against the same mask as RGB, packed by
  three shifted copies (750x1101, the size of an In-shop mask);
* `encode_png_gray` (zlib's run-length strategy) against Pillow's default
  PNG encoder on a label map;
* a texture-CNN `SiameseModel` training step in mixed bfloat16 against
  float32 (where the CPU has native bfloat16);
* a MobileNetV2 DeepLabV3+ training step at 128x96 with the stride-2
  refinement (`refine_filters=32`) against without.

    python benchmarks/bench_design_notes.py
"""

import io
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402
from PIL import Image  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.segmentation.aspp import atrous_conv  # noqa: E402
from keras_patterns.utils.io import encode_png_gray  # noqa: E402
from keras_patterns.utils.precision import bfloat16_is_fast  # noqa: E402
from keras_patterns.utils.precision import dtype_policy  # noqa: E402

RNG = np.random.default_rng(0)


def best(fn, repeats=5):
    fn()  # warm-up: tracing, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def report(name, ours, peer):
    print(
        f"{name:44s} {ours * 1e3:9.2f} ms  peer {peer * 1e3:9.2f} ms  "
        f"x{peer / ours:5.1f}",
        flush=True,
    )


def bench_atrous():
    x = ops.convert_to_tensor(RNG.normal(size=(16, 8, 6, 128)).astype("float32"))
    kernel = ops.convert_to_tensor(RNG.normal(size=(3, 3, 128, 128)).astype("float32"))
    for rate in (12, 18):
        ours = best(lambda r=rate: ops.convert_to_numpy(atrous_conv(x, kernel, r)))
        peer = best(
            lambda r=rate: ops.convert_to_numpy(
                ops.conv(x, kernel, padding="same", dilation_rate=r)
            )
        )
        report(f"atrous_conv, rate {rate}, 16x8x6x128", ours, peer)


def bench_mask_colours():
    colours = kp.datasets.INSHOP_COLORS
    ids = RNG.integers(0, len(colours), (1101, 750))
    rgba = np.concatenate([colours[ids], np.full((1101, 750, 1), 255, np.uint8)], -1)
    rgb = np.ascontiguousarray(rgba[..., :3])  # no alpha: packed by shifts
    convert = kp.datasets.rgb_mask_to_labels
    assert np.array_equal(convert(rgba), convert(rgb))
    report(
        "rgb_mask_to_labels, 750x1101, RGBA vs RGB",
        best(lambda: convert(rgba)),
        best(lambda: convert(rgb)),
    )


def bench_png():
    labels = np.zeros((1101, 750), np.uint8)
    labels[200:900, 150:600] = 1
    labels[300:500, 250:500] = 5

    def pillow():
        buffer = io.BytesIO()
        Image.fromarray(labels).save(buffer, format="PNG")
        return buffer.getvalue()

    report(
        "encode_png_gray, 750x1101 label map",
        best(lambda: encode_png_gray(labels)),
        best(pillow),
    )


def siamese_step_seconds(policy, steps=10):
    images = RNG.random((96, 48, 48, 3)).astype("float32")
    labels = np.repeat(np.arange(16), 6)
    with dtype_policy(policy):
        embedder = kp.models.PatternEmbedder(kp.embedding.texture_cnn(width=16))
        siamese = kp.models.SiameseModel(embedder)
        siamese.compile(optimizer=keras.optimizers.AdamW(1e-3))
        siamese.train_on_batch(images, labels)  # tracing
        start = time.perf_counter()
        for _ in range(steps):
            siamese.train_on_batch(images, labels)
    return (time.perf_counter() - start) / steps


def segmenter_step_seconds(refine_filters, steps=5):
    images = RNG.random((16, 128, 96, 3)).astype("float32")
    labels = RNG.integers(0, 9, (16, 128, 96))
    model = kp.models.DeepLabV3Plus(
        9,
        backbone="mobilenet_v2",
        aspp_filters=128,
        decoder_filters=128,
        refine_filters=refine_filters,
    )
    model.compile(optimizer="adam")
    model.train_on_batch(images, labels)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(images, labels)
    return (time.perf_counter() - start) / steps


def main():
    print(f"Keras backend: {keras.backend.backend()}")
    bench_atrous()
    bench_mask_colours()
    bench_png()
    if bfloat16_is_fast():
        report(
            "texture-CNN triplet step, 96 x 48x48, bf16",
            siamese_step_seconds("mixed_bfloat16"),
            siamese_step_seconds("float32"),
        )
    else:
        print("texture-CNN triplet step: no native bfloat16 here, not timed")
    report(
        "DeepLabV3+ step, 16 x 128x96, no refinement",
        segmenter_step_seconds(None),
        segmenter_step_seconds(32),
    )


if __name__ == "__main__":
    main()
