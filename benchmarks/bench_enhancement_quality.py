"""Super-resolution quality: a small RRDBNet trained PSNR-first on the CPU.

Target (issue 4): a small RRDBNet (6 blocks) trained for at most 20 minutes
on synthetic pattern patches beats bicubic x4 upscaling in PSNR and SSIM (Y
channel, 4-pixel border shaved) on held-out synthetic patches and on the
real photographs scikit-image and scikit-learn ship (astronaut, coffee,
chelsea, china, flower).

    pip install scikit-image          # for the real photographs
    python benchmarks/bench_enhancement_quality.py
    python benchmarks/bench_enhancement_quality.py --quick   # smoke test

Low-resolution inputs are antialiased bicubic downscales (MATLAB-style), the
degradation the network is trained on.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.utils.callbacks import TimeLimit  # noqa: E402

SCALE = 4


def scene_crops(n_scenes, seed, size=128):
    """Textured 128x128 crops of 512x384 synthetic scenes (mostly garment)."""
    scenes = kp.datasets.make_pattern_garments(n_scenes, (512, 384), seed=seed)
    rng = np.random.default_rng(seed)
    crops = []
    for image, mask in zip(scenes["images"], scenes["masks"], strict=True):
        kept = 0
        for _ in range(20):  # up to 3 crops per scene that are mostly figure
            top, left = rng.integers(0, 512 - size), rng.integers(0, 384 - size)
            if (
                kept < 3
                and (mask[top : top + size, left : left + size] > 0).mean() > 0.7
            ):
                crops.append(image[top : top + size, left : left + size])
                kept += 1
    return np.stack(crops)


def training_images(n_patches, n_scenes, seed):
    patches = kp.datasets.make_pattern_patches(n_patches, (128, 128), seed=seed)[
        "images"
    ]
    return np.concatenate([patches, scene_crops(n_scenes, seed + 1)])


def real_photos():
    try:
        from skimage import data
    except ImportError as error:
        raise SystemExit(
            "pip install scikit-image (for the real photographs)"
        ) from error
    from sklearn.datasets import load_sample_images

    photos = {
        name: getattr(data, name)() for name in ("astronaut", "coffee", "chelsea")
    }
    samples = load_sample_images()
    for name, image in zip(("china", "flower"), samples.images, strict=True):
        photos[name] = image
    return photos


def evaluate(model, hr_images):
    """Mean PSNR / SSIM (Y, border 4) of the network and of bicubic."""
    scores = {"net": [], "bicubic": []}
    for hr in hr_images:
        h, w = (hr.shape[0] // SCALE) * SCALE, (hr.shape[1] // SCALE) * SCALE
        hr = hr[:h, :w].astype(np.float32) / 255.0
        lr = kp.enhancement.degrade(tf.constant(hr), SCALE).numpy()
        bicubic = np.clip(tf.image.resize(lr, (h, w), method="bicubic").numpy(), 0, 1)
        sr = kp.enhancement.upscale(model, lr, tile=64, overlap=16)
        for key, out in (("net", sr), ("bicubic", bicubic)):
            scores[key].append(
                (
                    kp.metrics.psnr(out, hr, y_channel=True, crop_border=SCALE),
                    kp.metrics.ssim(out, hr, y_channel=True, crop_border=SCALE),
                )
            )
    return {key: np.array(values) for key, values in scores.items()}


def report(title, names, scores):
    print(f"\n{title}")
    for i, name in enumerate(names):
        net, bic = scores["net"][i], scores["bicubic"][i]
        print(
            f"  {name:12s} net {net[0]:6.2f} dB / {net[1]:.4f}   "
            f"bicubic {bic[0]:6.2f} dB / {bic[1]:.4f}   "
            f"margin {net[0] - bic[0]:+.2f} dB / {net[1] - bic[1]:+.4f}"
        )
    net, bic = scores["net"].mean(0), scores["bicubic"].mean(0)
    print(
        f"  {'mean':12s} net {net[0]:6.2f} dB / {net[1]:.4f}   "
        f"bicubic {bic[0]:6.2f} dB / {bic[1]:.4f}   "
        f"margin {net[0] - bic[0]:+.2f} dB / {net[1] - bic[1]:+.4f}"
    )
    return net[0] > bic[0] and net[1] > bic[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, default=19.0, help="training time limit"
    )
    parser.add_argument("--steps", type=int, default=1100, help="optimiser steps")
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--growth", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.steps = 0.5, 4
    n_patches, n_scenes = (64, 8) if args.quick else (3000, 400)

    start = time.perf_counter()
    hr = training_images(n_patches, n_scenes, seed=0)
    print(
        f"training set: {len(hr)} HR 128x128 images "
        f"({time.perf_counter() - start:.0f} s to draw)"
    )
    pairs = kp.enhancement.super_resolution_dataset(
        hr, SCALE, patch_size=32, batch_size=16
    )
    generator = kp.models.RRDBNet(
        SCALE, num_blocks=args.blocks, filters=args.filters, growth=args.growth
    )
    print(
        f"RRDBNet({args.blocks} blocks, {args.filters} filters, growth {args.growth}): "
        f"{generator.count_params():,} parameters, random initialisation"
    )
    model = kp.models.ESRGAN(generator)
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, args.steps, alpha=0.05
    )
    model.compile(
        phase="psnr", generator_optimizer=keras.optimizers.Adam(schedule, beta_2=0.99)
    )
    began = time.perf_counter()
    epochs = 10
    model.fit(
        pairs,
        epochs=epochs,
        steps_per_epoch=-(-args.steps // epochs),
        callbacks=[TimeLimit(args.minutes * 60)],
        verbose=2,
    )
    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    print(
        f"trained {steps} steps (batch 16, LR 32x32) "
        f"in {time.perf_counter() - began:.0f} s"
    )

    held_out = kp.datasets.make_pattern_patches(
        8 if args.quick else 60, (128, 128), seed=777
    )
    held = np.concatenate(
        [held_out["images"], scene_crops(4 if args.quick else 40, 778)]
    )
    synthetic = evaluate(generator, held)
    title = f"{len(held)} held-out synthetic patches (x{SCALE}), PSNR / SSIM on Y"
    beats_synthetic = report(title, [], synthetic)
    photos = real_photos()
    real = evaluate(generator, list(photos.values()))
    beats_real = report(
        f"real photographs (x{SCALE}), PSNR / SSIM on Y", list(photos), real
    )
    print(f"\nbeats bicubic: synthetic {beats_synthetic}, real photos {beats_real}")


if __name__ == "__main__":
    main()
