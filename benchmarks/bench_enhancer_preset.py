"""Does stage 3 pay? The enhancer preset against bicubic, for quality and grouping.

One run prints, on real pattern crops (`--data`, the validation crops) and
on the patterned-garment squares of product photos (`--photos`), each on
the whole set and on its halves by source (`bench_real_patterns.split_by_source`;
choices are made on the selection half, the report half is quoted):

* **quality**: the crops downscaled x4 (`enhancement.degrade`: antialiased
  bicubic) and upscaled back by bicubic, Lanczos and the enhancer preset
  (`--enhancer`, a preset name or `.keras` file), and by an
  official-architecture RRDBNet when `--official` gives a converted
  checkpoint: PSNR and SSIM on the Y channel, 4 pixels shaved;
* **grouping**: the crops (and the photo squares) downscaled to 16, 24 and
  32 pixels, upscaled to the embedder's size by each method, then embedded
  by the embedder preset (`--embedder`): NMI (k-means, k = the families,
  mean over `--seeds` seeds) and R@1 across sources;
* **cost**: seconds per patch of the enhancer's x4 and of bicubic followed
  by the embedder, measured in the same run, and their ratio.

    python benchmarks/bench_enhancer_preset.py \\
        --data ../shared/data/real_patterns_val.npz \\
        --photos ../shared/data/garment_photos_val --enhancer textures_x4

The validation sets are for validation only: never train on them.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.utils.images import resize_image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_photos  # noqa: E402
import bench_real_patterns as real  # noqa: E402

SCALE = 4
SIDES = (16, 24, 32)


def upscalers(enhancer, official):
    """`{name: fn(low_res uint8 batch, side) -> uint8 batch}`."""

    def pil(method):
        def run(images, side):
            return np.stack([resize_image(i, (side, side), method) for i in images])

        return run

    def network(model):
        def run(images, side):
            low = np.asarray(images, np.float32) / 255.0
            high = kp.enhancement.upscale_patches(model, list(low))
            high = np.clip(np.stack(high) * 255.0 + 0.5, 0, 255).astype(np.uint8)
            if high.shape[1] != side:
                high = np.stack([resize_image(i, (side, side)) for i in high])
            return high

        return run

    methods = {"bicubic": pil(Image.BICUBIC), "lanczos": pil(Image.LANCZOS)}
    methods["enhancer"] = network(enhancer)
    if official is not None:
        methods["official RRDBNet"] = network(official)
    return methods


def degrade(images, scale=SCALE):
    low = kp.enhancement.degrade(np.asarray(images, np.float32) / 255.0, scale)
    return np.clip(np.asarray(low) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def quality(images, methods, halves):
    """PSNR / SSIM (Y, border 4) of each method, on the whole set and halves."""
    side = images.shape[1]
    low = degrade(images)
    print(f"\nquality, x{SCALE} ({len(images)} crops of {side} px from {side // 4}):")
    for name, run in methods.items():
        restored = run(low, side)
        cells = []
        for part, mask in {"all": np.ones(len(images), bool), **halves}.items():
            psnr = kp.metrics.psnr(restored[mask], images[mask], True, SCALE)
            ssim = kp.metrics.ssim(restored[mask], images[mask], True, SCALE)
            cells.append(f"{part} {psnr:6.2f} dB / {ssim:.4f}")
        print(f"  {name:18s} " + " | ".join(cells))


def grouping(title, images, labels, sources, embedder, size, methods, halves, seeds):
    """NMI / R@1 of the embedder on images shrunk to each side, then upscaled."""
    print(f"\ngrouping, {title}: NMI / R@1 across sources after each upscaling")
    for side in SIDES:
        small = np.stack([resize_image(i, (side, side)) for i in images])
        for name, run in methods.items():
            big = run(small, size)
            vectors = real.embed(embedder, big, size, flips=True)
            found = real.scores(vectors, labels, sources, seeds, halves)
            cells = " | ".join(f"{p} {n:.3f} / {r:.3f}" for p, (n, r) in found.items())
            print(f"  {side:>3} px {name:18s} {cells}")


def cost(enhancer, embedder, size, repeats=3):
    """Seconds per 16-pixel patch: enhancer x4, and bicubic + embedder."""
    rng = np.random.default_rng(0)
    patches = rng.integers(0, 256, (64, 16, 16, 3)).astype(np.uint8)
    resized = np.stack([resize_image(p, (size, size)) for p in patches])
    embedder.embed(resized)  # compile
    kp.enhancement.upscale_patches(enhancer, list(patches.astype(np.float32) / 255))
    best = {"enhancer x4": np.inf, "bicubic + embedder": np.inf}
    for _ in range(repeats):
        began = time.perf_counter()
        kp.enhancement.upscale_patches(enhancer, list(patches.astype(np.float32) / 255))
        best["enhancer x4"] = min(best["enhancer x4"], time.perf_counter() - began)
        began = time.perf_counter()
        embedder.embed(np.stack([resize_image(p, (size, size)) for p in patches]))
        elapsed = time.perf_counter() - began
        best["bicubic + embedder"] = min(best["bicubic + embedder"], elapsed)
    per = {name: seconds / len(patches) * 1e3 for name, seconds in best.items()}
    ratio = per["enhancer x4"] / per["bicubic + embedder"]
    print(
        f"\ncost per 16-px patch: enhancer x4 {per['enhancer x4']:.2f} ms, "
        f"bicubic + embedder {per['bicubic + embedder']:.2f} ms: ratio {ratio:.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="real crops (.npz)")
    parser.add_argument("--photos", help="product photos folder (optional)")
    parser.add_argument("--enhancer", default="textures_x4")
    parser.add_argument("--embedder", default="patterns_synthetic")
    parser.add_argument("--official", help="a converted official RRDBNet (.keras)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    enhancer = bench_photos.load_model(args.enhancer, kp.models.RRDBNet)
    embedder = bench_photos.load_model(args.embedder, kp.models.PatternEmbedder)
    official = None
    if args.official:
        official = bench_photos.load_model(args.official, kp.models.RRDBNet)
    size = 64
    images, labels, sources, _ = real.load(args.data)
    selection, report = real.split_by_source(labels, sources)
    halves = {"selection": selection, "report": report}
    methods = upscalers(enhancer, official)
    quality(images, methods, halves)
    grouping(
        "real crops",
        images,
        labels,
        sources,
        embedder,
        size,
        methods,
        halves,
        args.seeds,
    )
    if args.photos:
        paths, masks, photo_labels, photo_sources, _ = bench_photos.load(args.photos)
        squares = []
        for path, mask in zip(paths, masks, strict=True):
            photo = np.asarray(Image.open(path).convert("RGB"))
            top, left, bottom, right = kp.patches.largest_square(mask == 2)
            squares.append(resize_image(photo[top:bottom, left:right], (size, size)))
        selection, report = real.split_by_source(photo_labels, photo_sources)
        grouping(
            "garment squares of product photos",
            np.stack(squares),
            photo_labels,
            photo_sources,
            embedder,
            size,
            methods,
            {"selection": selection, "report": report},
            args.seeds,
        )
    cost(enhancer, embedder, size)


if __name__ == "__main__":
    main()
