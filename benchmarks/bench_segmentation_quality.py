"""Segmentation quality: DeepLabV3+ with MobileNetV2 from scratch, on the CPU.

Target (issue 3): MobileNetV2 backbone, random initialisation, trained on at
most 2,000 synthetic scenes at 128x96 in at most 10 minutes on a 2-core CPU;
mean IoU over the 9-class set on 200 held-out scenes of unseen items >= 0.60.

    python benchmarks/bench_segmentation_quality.py            # the benchmark
    python benchmarks/bench_segmentation_quality.py --quick    # smoke test

Training stops at the step budget or the time limit, whichever comes first.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.utils.callbacks import TimeLimit  # noqa: E402

SIZE = (128, 96)


def confusion(model, images, masks, num_classes):
    predicted = model.predict_labels(images, batch_size=25)
    truth = kp.datasets.remap_classes(masks)
    valid = truth != kp.datasets.IGNORE_LABEL
    index = truth[valid].astype(np.int64) * num_classes + predicted[valid]
    return np.bincount(index, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def iou_from_confusion(matrix):
    tp = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - tp
    return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=2000, help="training scenes")
    parser.add_argument("--test", type=int, default=200, help="held-out scenes")
    parser.add_argument("--steps", type=int, default=900, help="optimiser steps")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--minutes", type=float, default=9.5, help="training time limit"
    )
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument(
        "--filters", type=int, default=128, help="ASPP/decoder channels"
    )
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.train, args.test, args.steps, args.minutes = 64, 16, 4, 2.0

    start = time.perf_counter()
    train = kp.datasets.make_pattern_garments(
        args.train, SIZE, seed=0, views_per_item=2
    )
    test = kp.datasets.make_pattern_garments(args.test, SIZE, seed=12345)
    print(
        f"data: {args.train} train / {args.test} held-out scenes "
        f"at {SIZE[0]}x{SIZE[1]} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    batches = kp.datasets.segmentation_dataset(
        train, SIZE, args.batch_size, augment=True, scale_range=(0.8, 1.25), repeat=True
    )
    num_classes = len(kp.datasets.NINE_CLASSES)
    model = kp.models.DeepLabV3Plus(
        num_classes,
        backbone="mobilenet_v2",
        output_stride=16,
        aspp_filters=args.filters,
        decoder_filters=args.filters,
    )
    warmup = max(1, args.steps // 20)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, args.steps - warmup, warmup_target=args.learning_rate, warmup_steps=warmup
    )
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4))
    print(
        f"model: DeepLabV3+ MobileNetV2, random init, {model.count_params():,} params"
    )

    limit = TimeLimit(args.minutes * 60)
    epochs = 10
    began = time.perf_counter()
    model.fit(
        batches,
        epochs=epochs,
        steps_per_epoch=-(-args.steps // epochs),
        callbacks=[limit],
        verbose=2,
    )
    seconds = time.perf_counter() - began
    steps = int(model.optimizer.iterations.numpy())
    print(
        f"trained {steps} steps ({steps * args.batch_size:,} images) in {seconds:.0f} s"
    )

    matrix = confusion(model, test["images"], test["masks"], num_classes)
    ious = iou_from_confusion(matrix)
    for name, iou in zip(kp.datasets.NINE_CLASSES, ious, strict=True):
        print(f"  IoU {name:10s} {iou:.3f}")
    print(
        f"mean IoU (9 classes, {args.test} held-out scenes): {np.nanmean(ious):.3f} "
        "(target >= 0.60)"
    )
    print(f"pixel accuracy: {np.trace(matrix) / matrix.sum():.3f}")


if __name__ == "__main__":
    main()
