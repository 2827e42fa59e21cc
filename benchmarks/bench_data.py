"""Throughput of the data layer: In-shop preparation and synthetic scenes.

Targets (issue 2): preparation >= 50 image/mask pairs per second per core at
750x1101 (the original preparation script took ~20 hours for 13,752 pairs);
synthetic generation >= 50 scenes per second at 256x192 on one core.

The machine's speed drifts, so every number is printed next to a peer
measured in the same run: the preparation against a straightforward
conversion (one comparison pass per table colour, JPEG re-encoded, as public
preparation scripts do), and both against a reference float32 matmul.

    python benchmarks/bench_data.py              # full sizes
    python benchmarks/bench_data.py --quick      # small, for a smoke test
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from machine_speed import reference_matmul_gflops  # noqa: E402
from PIL import Image  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.datasets import INSHOP_COLORS  # noqa: E402


def naive_prepare(records, destination):
    """The peer: per-colour masks and a JPEG re-encode, one pair at a time."""
    destination.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(records):
        image = Image.open(record.image_path).convert("RGB")
        rgb = np.asarray(Image.open(record.mask_path).convert("RGB"))
        labels = np.zeros(rgb.shape[:2], np.uint8)
        for class_id, color in enumerate(INSHOP_COLORS):
            labels[np.all(rgb == color, axis=-1)] = class_id
        image.save(destination / f"{i}.jpg", quality=95)
        Image.fromarray(labels).save(destination / f"{i}.png")


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def bench_prepare(pairs, work):
    source = work / "inshop"
    print(f"writing {pairs} synthetic pairs at 750x1101 ...", flush=True)
    kp.datasets.write_synthetic_inshop(
        source, n_items=pairs, views_per_item=1, image_size=(1101, 750)
    )
    records = kp.datasets.load_inshop(source).with_masks()
    rates = {}
    for workers in (1, 2):
        seconds, summary = timed(
            kp.datasets.prepare_inshop,
            source,
            work / f"flat{workers}",
            workers=workers,
            progress=False,
        )
        assert len(summary.written) == pairs and not summary.failed
        rates[workers] = pairs / seconds
    seconds, _ = timed(naive_prepare, records, work / "naive")
    naive = pairs / seconds
    seconds, summary = timed(
        kp.datasets.prepare_inshop, source, work / "flat1", progress=False
    )
    print("\nIn-shop preparation, 750x1101 pairs")
    print(f"  prepare_inshop, 1 worker : {rates[1]:7.1f} pairs/s  (target >= 50/core)")
    print(
        f"  prepare_inshop, 2 workers: {rates[2]:7.1f} pairs/s  ({os.cpu_count()} CPUs)"
    )
    print(
        f"  peer, per-colour loop    : {naive:7.1f} pairs/s  -> x{rates[1] / naive:.1f}"
    )
    print(
        f"  resumed run (all done)   : {pairs / seconds:7.0f} pairs/s, wrote "
        f"{len(summary.written)}"
    )
    print(
        f"  13,752 pairs at 1 worker : {13752 / rates[1] / 60:5.1f} min "
        f"(original script: ~20 h)"
    )
    return rates[1]


def bench_generator(scenes):
    kp.datasets.make_pattern_garments(2, seed=99)  # warm caches
    seconds, _ = timed(kp.datasets.make_pattern_garments, scenes, (256, 192), 1, 2)
    rate = scenes / seconds
    print("\nSynthetic scenes, 256x192, one thread")
    print(f"  make_pattern_garments    : {rate:7.1f} scenes/s  (target >= 50)")
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    gflops = reference_matmul_gflops()
    print(f"reference float32 matmul: {gflops:.0f} GFLOP/s (machine speed check)")
    with tempfile.TemporaryDirectory() as folder:
        prepare_rate = bench_prepare(12 if args.quick else 60, Path(folder))
    generator_rate = bench_generator(40 if args.quick else 300)
    print("\nnormalised by the reference matmul (per 100 GFLOP/s):")
    print(
        f"  preparation {prepare_rate / gflops * 100:.1f} pairs/s, "
        f"generator {generator_rate / gflops * 100:.1f} scenes/s"
    )


if __name__ == "__main__":
    main()
