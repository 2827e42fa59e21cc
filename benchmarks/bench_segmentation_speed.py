"""Forward speed of ResNet-50 DeepLabV3+, next to the keras.io-style model.

Images per second at 512x512, batch 8, with and without XLA (`jit_compile`),
for `keras_patterns.models.DeepLabV3Plus` (dilated ResNet-50, all four
stages, output stride 16) and, in the same run, the model of the keras.io
example "Multiclass semantic segmentation using DeepLabV3+", which cuts
ResNet-50 after its third stage instead of dilating the fourth.

    python benchmarks/bench_segmentation_speed.py
    python benchmarks/bench_segmentation_speed.py --size 256 --batches 3   # quicker
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from flops import forward_flops  # noqa: E402
from machine_speed import reference_matmul_gflops  # noqa: E402

import keras_patterns as kp  # noqa: E402


def keras_io_deeplab(size, num_classes):
    """The keras.io example's DeepLabV3+ (truncated ResNet-50, 256 filters)."""

    def block(x, filters, kernel=3, rate=1):
        x = keras.layers.Conv2D(
            filters, kernel, dilation_rate=rate, padding="same", use_bias=False
        )(x)
        return keras.layers.ReLU()(keras.layers.BatchNormalization()(x))

    inputs = keras.Input((size, size, 3))
    x = keras.applications.resnet50.preprocess_input(inputs)
    resnet = keras.applications.ResNet50(
        weights=None, include_top=False, input_tensor=x
    )
    x = resnet.get_layer("conv4_block6_2_relu").output
    pool = keras.layers.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]))(x)
    pool = block(pool, 256, 1)
    pool = keras.layers.UpSampling2D(size=x.shape[1], interpolation="bilinear")(pool)
    branches = [pool, block(x, 256, 1)] + [block(x, 256, 3, r) for r in (6, 12, 18)]
    x = block(keras.layers.Concatenate()(branches), 256, 1)
    x = keras.layers.UpSampling2D(size=4, interpolation="bilinear")(x)
    low = block(resnet.get_layer("conv2_block3_2_relu").output, 48, 1)
    x = block(block(keras.layers.Concatenate()([x, low]), 256), 256)
    x = keras.layers.UpSampling2D(size=4, interpolation="bilinear")(x)
    return keras.Model(inputs, keras.layers.Conv2D(num_classes, 1)(x))


def images_per_second(model, batch, batches, jit):
    model.compile(jit_compile=jit)
    model.predict_on_batch(batch)  # trace / compile
    model.predict_on_batch(batch)
    best = np.inf
    for _ in range(batches):
        start = time.perf_counter()
        model.predict_on_batch(batch)
        best = min(best, time.perf_counter() - start)
    return len(batch) / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--batches", type=int, default=5, help="timed batches (best kept)"
    )
    args = parser.parse_args()
    batch = np.random.default_rng(0).random(
        (args.batch_size, args.size, args.size, 3), dtype=np.float32
    )
    models = {
        "keras-patterns DeepLabV3Plus (dilated, OS16)": lambda: kp.models.DeepLabV3Plus(
            9, backbone="resnet50", output_stride=16
        ),
        "keras.io DeepLabV3+ (truncated ResNet-50)": lambda: keras_io_deeplab(
            args.size, 9
        ),
    }
    print(
        f"{keras.backend.backend()} backend, {args.size}x{args.size}, "
        f"batch {args.batch_size}, best of {args.batches}; reference float32 "
        f"matmul {reference_matmul_gflops():.0f} GFLOP/s"
    )
    for name, build in models.items():
        for jit in (False, True):
            model = build()
            rate = images_per_second(model, batch, args.batches, jit)
            flops = forward_flops(model, batch[:1])
            print(
                f"  {name:46s} jit_compile={jit!s:5s} {rate:6.2f} images/s "
                f"{flops * rate / 1e9:6.1f} GFLOP/s ({model.count_params():,} "
                f"params, {flops / 1e9:.1f} GFLOP per image)",
                flush=True,
            )
            del model
            keras.backend.clear_session()


if __name__ == "__main__":
    main()
