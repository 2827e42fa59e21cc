"""Train a pattern embedder with a triplet loss: synthetic patterns, or DeepFashion.

    python examples/train_embedder.py --out emb_out                    # synthetic
    python examples/train_embedder.py --data /data/inshop --out emb_out
    python examples/train_embedder.py --quick --out /tmp/emb            # CI size
    python examples/train_embedder.py --devices 2 --out emb_out        # 2 devices

Synthetic: patches of the 16 pattern families, the family as the label.
DeepFashion (either layout): garment patches cut from the ground-truth masks,
the product id as the label (all views of a product share its fabric);
query/gallery items evaluate. Saves `OUT/embedder.keras`,
`OUT/retrieval.png` (each query row: the query, then its 5 nearest) and
`OUT/curves.png` (loss and metrics per epoch). Batches are augmented whole
(`pattern_augmentation`, Keras preprocessing layers, seeded).
"""

import argparse
from pathlib import Path

import keras
import numpy as np

import keras_patterns as kp
from keras_patterns.utils.distribution import data_parallel
from keras_patterns.utils.distribution import distribution_scope
from keras_patterns.utils.figures import plot_history
from keras_patterns.utils.io import read_image
from keras_patterns.utils.visualization import contact_sheet


def resize(patch, size):
    array = keras.ops.image.resize(patch[None].astype("float32"), size)
    return keras.ops.convert_to_numpy(array)[0].astype(np.uint8)


def deepfashion_patches(root, size, limit):
    """Patches from ground-truth masks, labelled by product id, split by item."""
    records = kp.datasets.load_inshop(root).with_masks()[:limit]
    images, labels, splits = [], [], []
    for record in records:
        patches = kp.patches.extract_patches(
            read_image(record.image_path),
            kp.datasets.read_mask(record.mask_path, "ignore"),
            min_size=24,
            max_patches=1,
            label_names=kp.datasets.INSHOP_CLASSES,
        )
        for patch in patches:
            images.append(resize(patch.image, size))
            labels.append(record.item_id)
            splits.append(record.split or "train")
    labels = np.unique(labels, return_inverse=True)[1]
    images, splits = np.stack(images), np.array(splits)
    train = {"images": images[splits == "train"], "label": labels[splits == "train"]}
    test = (images[splits != "train"], labels[splits != "train"])
    return train, test


def synthetic_patches(size, quick):
    families = len(kp.datasets.PATTERN_FAMILIES)
    side = int(size[0] * 1.5)
    data = kp.datasets.make_pattern_patches(
        320 if quick else 4000, (side, side), seed=0
    )
    held = kp.datasets.make_pattern_patches(
        families * (2 if quick else 20), size, seed=99
    )
    return {"images": data["images"], "label": data["pattern"]}, (
        held["images"],
        held["pattern"],
    )


def retrieval_sheet(embedder, images, labels, path, queries=6):
    vectors = embedder.embed(images)
    tiles, captions = [], []
    for q in range(min(queries, len(images))):
        distances = ((vectors - vectors[q]) ** 2).sum(1)
        distances[q] = np.inf
        nearest = np.argsort(distances)[:5]
        tiles += [images[q]] + [images[i] for i in nearest]
        captions += ["query"] + [
            "match" if labels[i] == labels[q] else "other" for i in nearest
        ]
    contact_sheet(tiles, captions, columns=6, thumb_height=96).save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="DeepFashion In-shop folder (either layout)")
    parser.add_argument("--out", default="emb_out")
    parser.add_argument("--size", type=int, default=64, help="patch side")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument(
        "--keep-color",
        action="store_true",
        help="group by pattern and colour, not pattern alone",
    )
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
    size = (args.size, args.size)
    if args.quick:
        args.steps, size = 3, (32, 32)

    if args.data:
        train, test = deepfashion_patches(
            args.data, size, None if not args.quick else 200
        )
        p, k = 16, 2
    else:
        train, test = synthetic_patches(size, args.quick)
        p, k = len(kp.datasets.PATTERN_FAMILIES), 4
    augment = kp.embedding.pattern_augmentation(
        size, keep_color=args.keep_color, seed=0
    )
    batches = kp.datasets.triplet_dataset(train, labels="label", p=p, k=k).map(augment)
    # Built, compiled and trained on the devices; batches stay global.
    with distribution_scope(distribution):
        embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=128)
        siamese = kp.models.SiameseModel(embedder)
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, args.steps, warmup_target=2e-3, warmup_steps=max(1, args.steps // 20)
        )
        siamese.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4))
        epochs = 1 if args.quick else 6
        history = siamese.fit(
            batches, epochs=epochs, steps_per_epoch=-(-args.steps // epochs), verbose=2
        )
    embedder.save(out / "embedder.keras")
    plot_history(history, out / "curves.png", title="triplet training")

    scores = kp.metrics.evaluate_retrieval(embedder, test)
    print("held-out retrieval: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    retrieval_sheet(embedder, *test, out / "retrieval.png")
    print(f"saved {out / 'embedder.keras'}, {out / 'retrieval.png'}, curves.png")


if __name__ == "__main__":
    main()
