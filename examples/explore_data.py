"""Explore the data layer: synthetic or DeepFashion In-shop, end to end.

Writes (or reads) an In-shop data set, prepares the flat layout, builds the
segmentation and P x K pipelines, prints what they hold, and saves a contact
sheet of images and masks.

    python examples/explore_data.py --out explore_out            # synthetic
    python examples/explore_data.py --quick --out /tmp/explore   # CI size
    python examples/explore_data.py --data /data/In-shop --out explore_out
"""

import argparse
from pathlib import Path

import numpy as np

import keras_patterns as kp
from keras_patterns.datasets.preview import preview_sheet


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="DeepFashion In-shop root (original layout)")
    parser.add_argument("--out", default="explore_out", help="output folder")
    parser.add_argument("--quick", action="store_true", help="small settings")
    args = parser.parse_args()
    out = Path(args.out)

    source = Path(args.data) if args.data else out / "synthetic"
    if not args.data:
        items = 6 if args.quick else 48
        kp.datasets.write_synthetic_inshop(source, n_items=items, views_per_item=2)
    records = kp.datasets.load_inshop(source)
    print(f"{len(records)} images, {len(records.with_masks())} with masks")
    for split in ("train", "query", "gallery"):
        print(f"  {split:8s} {records.column('split').count(split)}")

    summary = kp.datasets.prepare_inshop(source, out / "flat", progress=not args.quick)
    print(f"prepare: {summary}")

    flat = kp.datasets.load_inshop(out / "flat")
    batches = kp.datasets.segmentation_dataset(
        flat, (128, 96), batch_size=4, augment=True
    )
    images, labels = next(iter(batches))
    counts = np.bincount(labels.numpy().ravel(), minlength=256)
    print("9-class pixel shares in one augmented batch:")
    for i, name in enumerate(kp.datasets.NINE_CLASSES):
        print(f"  {name:10s} {counts[i] / counts.sum():6.1%}")
    print(f"  {'ignore':10s} {counts[255] / counts.sum():6.1%}")

    pk = kp.datasets.triplet_dataset(
        flat, labels="item_id", p=3, k=2, image_size=(64, 48)
    )
    _, item_labels = next(iter(pk))
    print(f"one P x K batch (P=3, K=2) holds items {item_labels.numpy().tolist()}")

    sheet = out / "contact_sheet.png"
    preview_sheet(flat, n=8 if args.quick else 16).save(sheet)
    print(f"saved {sheet}")


if __name__ == "__main__":
    main()
