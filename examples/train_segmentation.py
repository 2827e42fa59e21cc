"""Train DeepLabV3+ to segment garments: synthetic data, or DeepFashion.

    python examples/train_segmentation.py --out seg_out                 # synthetic
    python examples/train_segmentation.py --data /data/inshop-flat --out seg_out
    python examples/train_segmentation.py --quick --out /tmp/seg        # CI size
    python examples/train_segmentation.py --devices 2 --out seg_out    # 2 devices

`--data` takes DeepFashion In-shop in either layout (see `prepare_inshop`);
items of the "train" split train, the others evaluate (the flat layout
without a manifest is split by item number). Saves the model as
`OUT/segmenter.keras`, `OUT/predictions.png` (image, truth, prediction)
and `OUT/curves.png` (loss and mean IoU per epoch).
"""

import argparse
import zlib
from pathlib import Path

import keras
import numpy as np

import keras_patterns as kp
from keras_patterns.utils.distribution import data_parallel
from keras_patterns.utils.distribution import distribution_scope
from keras_patterns.utils.figures import plot_history
from keras_patterns.utils.io import read_image
from keras_patterns.utils.visualization import contact_sheet


def split_records(root):
    records = kp.datasets.load_inshop(root).with_masks()
    train = [r for r in records if r.split == "train"]
    test = [r for r in records if r.split in ("query", "gallery")]
    if not train or not test:  # flat layout without manifest: split by item
        held_out = {
            r.item_id for r in records if zlib.crc32(r.item_id.encode()) % 10 == 0
        }
        train = [r for r in records if r.item_id not in held_out]
        test = [r for r in records if r.item_id in held_out]
    return train, test


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="DeepFashion In-shop folder (either layout)")
    parser.add_argument("--out", default="seg_out")
    parser.add_argument(
        "--backbone", default="mobilenet_v2", choices=("mobilenet_v2", "resnet50")
    )
    parser.add_argument(
        "--weights", default=None, help='backbone weights: "imagenet" or a path'
    )
    parser.add_argument("--size", default="128x96", help="training size HxW")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100, help="steps per epoch")
    parser.add_argument(
        "--devices",
        type=int,
        default=1,
        help="train on N devices: GPUs, or logical CPUs without enough GPUs",
    )
    parser.add_argument("--quick", action="store_true", help="tiny run (CI)")
    args = parser.parse_args()
    # Before TensorFlow starts: it may have to split the CPU into devices.
    distribution = data_parallel(args.devices) if args.devices > 1 else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    size = tuple(int(v) for v in args.size.split("x"))
    if args.quick:
        args.epochs, args.steps, size = 1, 2, (64, 48)

    if args.data:
        train, test = split_records(args.data)
        test_images = [read_image(r.image_path) for r in test[:16]]
        test_masks = [
            kp.datasets.read_mask(r.mask_path, unknown="ignore") for r in test[:16]
        ]
    else:
        n = 32 if args.quick else 2000
        train = kp.datasets.make_pattern_garments(n, size, seed=0, views_per_item=2)
        held = kp.datasets.make_pattern_garments(16, size, seed=999)
        test_images, test_masks = list(held["images"]), list(held["masks"])
    batches = kp.datasets.segmentation_dataset(
        train, size, 16, augment=True, repeat=True
    )

    # Built, compiled and trained on the devices; batches stay global.
    with distribution_scope(distribution):
        model = kp.models.DeepLabV3Plus(
            len(kp.datasets.NINE_CLASSES),
            backbone=args.backbone,
            backbone_weights=args.weights,
            aspp_filters=32 if args.quick else 128,
            decoder_filters=32 if args.quick else 128,
        )
        total = args.epochs * args.steps
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, total, warmup_target=2e-3, warmup_steps=max(1, total // 20)
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4),
            metrics=[kp.metrics.mean_iou_metric(len(kp.datasets.NINE_CLASSES))],
        )
        history = model.fit(
            batches, epochs=args.epochs, steps_per_epoch=args.steps, verbose=2
        )
    model.save(out / "segmenter.keras")
    plot_history(history, out / "curves.png", title="segmentation training")

    predicted = model.predict_labels(test_images)
    names = kp.datasets.NINE_CLASSES
    tiles, captions = [], []
    for image, mask, labels in zip(
        test_images[:8], test_masks[:8], predicted[:8], strict=False
    ):
        truth = kp.datasets.remap_classes(mask)
        tiles += [
            image,
            kp.datasets.labels_to_rgb(truth, names),
            kp.datasets.labels_to_rgb(labels, names),
        ]
        captions += ["image", "truth", "prediction"]
    contact_sheet(tiles, captions, columns=6, thumb_height=160).save(
        out / "predictions.png"
    )
    truth = np.concatenate([kp.datasets.remap_classes(m).ravel() for m in test_masks])
    guess = np.concatenate([p.ravel() for p in predicted])
    valid = truth != kp.datasets.IGNORE_LABEL
    print(
        f"pixel accuracy on {len(test_images)} held-out images: "
        f"{(truth[valid] == guess[valid]).mean():.3f}"
    )
    print(f"saved {out / 'segmenter.keras'}, {out / 'predictions.png'}, curves.png")


if __name__ == "__main__":
    main()
