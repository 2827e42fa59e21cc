"""How well a photo grouper groups product photos by pattern, against its oracle.

Reads a folder of shop-style product photos (`--data`: `images/NNNN.jpg`,
`masks/NNNN.png` with 0 background, 1 skin and hair, 2 the patterned
garment, 3 other garments, and `labels.csv` with `file`, `family_id`,
`source` and `garment_type`), and prints, in one run, for the grouper
(`--grouper`: a preset name such as `product_photos`, or a folder written by
`PatternGrouper.save`):

* **grouper**: the photos grouped with no garment named: NMI and ARI
  against the pattern families (k-means with k = the families, mean over
  `--seeds` seeds), the share of the patches it cut that lie at least
  90% on the patterned garment, the share of photos whose first patch
  does, and the median side of the first patch as a share of the oracle
  square's (how much of the garment the segmenter's regions leave to cut);
* **named**: the same with each photo's garment named (`garments=`), and
  the share of patches at least 90% on that garment;
* **best candidate**: of the squares the grouper chooses among (its
  segmenter's regions and, with `texture_squares`, the garments' textured
  part: `CutStage.candidates`), the largest that lies at
  least 90% on the patterned garment (the largest square where none does),
  through the grouper's own embedding stage: what a perfect garment choice
  with this segmenter would give, and the share of photos that have such a
  square;
* **segmenter**: how the grouper's segmenter labels the patterned garment:
  the share of its pixels given any garment class (found), and the share
  given its most frequent class (purity: a garment split between classes
  leaves smaller regions to cut squares in);
* **oracle**: the largest square inside the patterned garment's true mask,
  through the same embedding stage: what a perfect segmenter and garment
  choice would give;
* **whole photo**: each photo embedded whole, as a swatch.

Each figure is given on the whole set and on its two halves by source
(`bench_real_patterns.split_by_source`): choices are made on the selection
half only, and the report half is the figure to quote.

    python benchmarks/bench_photos.py --data ../shared/data/garment_photos_val \\
        --grouper product_photos

The photos are for validation only: never train on them.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.patches import largest_square  # noqa: E402
from keras_patterns.utils.images import resize_image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real_patterns import split_by_source  # noqa: E402

# labels.csv's garment types, as the package's garment classes name them.
GARMENT_CLASS = {
    "tank": "top",
    "tshirt": "top",
    "longsleeve": "top",
    "jacket_open": "outer",
    "jacket_closed": "outer",
    "trousers": "pants",
    "skirt": "skirt",
    "dress": "dress",
}
PATTERNED = 2  # the patterned garment's value in the masks
LINES = ["grouper", "named", "best candidate", "segmenter", "oracle", "whole photo"]


def load(folder):
    folder = Path(folder)
    with open(folder / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    paths = [str(folder / row["file"]) for row in rows]
    masks = [
        np.asarray(Image.open(folder / "masks" / (Path(row["file"]).stem + ".png")))
        for row in rows
    ]
    labels = np.array([int(row["family_id"]) for row in rows])
    sources = np.array([row["source"] for row in rows])
    garments = [GARMENT_CLASS.get(row["garment_type"]) for row in rows]
    return paths, masks, labels, sources, garments


def load_model(reference, cls):
    """A model from a preset name or folder of `cls`, or a `.keras` file."""
    if str(reference).endswith(".keras"):
        return keras.saving.load_model(reference, safe_mode=True)
    return cls.from_preset(reference)


def nmi_ari(vectors, labels, seeds):
    k = len(np.unique(labels))
    nmi, ari = [], []
    for seed in range(seeds):
        found = kp.clustering.KMeans(
            k, metric="cosine", n_init=10, random_state=seed
        ).fit_predict(vectors)
        nmi.append(normalized_mutual_info_score(labels, found))
        ari.append(adjusted_rand_score(labels, found))
    return float(np.mean(nmi)), float(np.mean(ari))


def garment_share(mask, box):
    """The share of the box's pixels on the patterned garment."""
    top, left, bottom, right = box
    return (mask[top:bottom, left:right] == PATTERNED).mean()


def on_garment(items, masks):
    """Per item, the share of each patch's pixels on the patterned garment."""
    shares = []
    for item, mask in zip(items, masks, strict=True):
        shares.append(
            [garment_share(mask, box) for box in item.boxes] if item.ok else []
        )
    return shares


def side(box):
    """The smaller side of a `(top, left, bottom, right)` box."""
    top, left, bottom, right = box
    return min(bottom - top, right - left)


def segmented(grouper, photos):
    """Each photo segmented by the grouper's segment stage, no garment named:
    `(working copy, factor back, label map)`."""
    segment = grouper.pipeline.segment
    found = []
    for start in range(0, len(photos), segment.batch_size):
        chunk = photos[start : start + segment.batch_size]
        found += segment(chunk, [None] * len(chunk))
    return found


def best_candidates(grouper, photos, masks, segments):
    """Per photo, the largest of the grouper's candidate squares at least 90%
    on the patterned garment (the largest candidate where none is), and
    whether there was one; `segments` from `segmented`."""
    cut = grouper.pipeline.cut
    squares, found = [], []
    for photo, mask, (working, factor, labels) in zip(
        photos, masks, segments, strict=True
    ):
        sizes = grouper.pipeline.segment.cut_factor(factor)
        candidates = cut.candidates(working, labels, cut.classes, cut.options(sizes))
        usable = cut.usable(candidates, sizes)
        candidates = [p for p, ok in zip(candidates, usable, strict=True) if ok]
        boxes = cut.photo_boxes(candidates, factor, photo.shape)
        boxes.sort(key=lambda box: -side(box))
        good = [box for box in boxes if garment_share(mask, box) >= 0.9]
        found.append(bool(good))
        top, left, bottom, right = (good or boxes or [(0, 0, *photo.shape[:2])])[0]
        squares.append(photo[top:bottom, left:right])
    return squares, np.array(found)


def at_grouper_scale(grouper, photos, images):
    """`images` (one cut from each of `photos`) in the pixels the grouper
    counts `patch_scale` in: with `frame_scale`, each photo's frame."""
    if not grouper.frame_scale:
        return images
    segment = grouper.pipeline.segment
    scaled = []
    for photo, image in zip(photos, images, strict=True):
        unit = segment.unit(segment.working_photo(photo)[1])
        size = (
            max(1, round(image.shape[0] / unit)),
            max(1, round(image.shape[1] / unit)),
        )
        scaled.append(image if unit == 1.0 else resize_image(image, size))
    return scaled


def garment_purity(grouper, masks, segments):
    """Per photo, the share of the patterned garment's pixels the grouper's
    segmenter gives a garment class, and the share it gives the most
    frequent one; `segments` from `segmented`."""
    cut = grouper.pipeline.cut
    garment_ids = [cut.label_names.index(name) for name in cut.classes]
    found, purity = [], []
    for mask, (_, _, labels) in zip(masks, segments, strict=True):
        if labels.shape != mask.shape:
            size = labels.shape[1], labels.shape[0]
            mask = np.asarray(Image.fromarray(mask).resize(size, Image.NEAREST))
        counts = np.bincount(labels[mask == PATTERNED], minlength=256)[garment_ids]
        pixels = max(int((mask == PATTERNED).sum()), 1)
        found.append(counts.sum() / pixels)
        purity.append(counts.max() / max(counts.sum(), 1))
    return np.array(found), np.array(purity)


def oracle_boxes(masks):
    """The largest square inside each photo's patterned garment."""
    return [largest_square(mask == PATTERNED) for mask in masks]


def line(name, result, labels, masks, seeds, halves, seconds, oracles=None):
    """Prints a line: NMI / ARI on the whole set and halves, and, given the
    `oracles` boxes (`oracle_boxes`), where the patches lie."""
    placement = oracles is not None
    every = np.ones(len(labels), bool)
    embedded = np.array([item.ok for item in result.items])
    vectors = np.zeros((len(labels), result.embeddings.shape[-1]), np.float32)
    vectors[embedded] = result.embeddings
    shares = on_garment(result.items, masks) if placement else None
    if placement:
        # The first patch's side over the oracle square's, per photo.
        sides = np.array(
            [
                side(item.box) / max(side(box), 1) if item.ok else np.nan
                for item, box in zip(result.items, oracles, strict=True)
            ]
        )
    cells = []
    for part, mask in {"all": every, **halves}.items():
        use = mask & embedded
        nmi, ari = nmi_ari(vectors[use], labels[use], seeds)
        cell = f"{part} NMI {nmi:.3f} ARI {ari:.3f}"
        if placement:
            patches = [s for i, item in enumerate(shares) if use[i] for s in item]
            first = [item[0] for i, item in enumerate(shares) if use[i] and item]
            cell += (
                f" on-garment {np.mean(np.array(patches) >= 0.9):.0%}"
                f" (first patch {np.mean(np.array(first) >= 0.9):.0%},"
                f" side {np.nanmedian(sides[use]):.0%} of the oracle's)"
            )
        cells.append(cell)
    failed = int((~embedded).sum())
    enhanced = sum(bool(getattr(item, "enhanced", False)) for item in result.items)
    print(
        f"{name:12s} " + " | ".join(cells) + f" | failed {failed} | "
        f"enhanced {enhanced} | {seconds:.0f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the photos folder")
    parser.add_argument(
        "--grouper",
        default="product_photos",
        help="a grouper preset, or a folder written by PatternGrouper.save",
    )
    parser.add_argument("--seeds", type=int, default=3, help="k-means seeds")
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument(
        "--lines",
        nargs="+",
        default=LINES,
        choices=LINES,
        help="which lines to print (an embedder preset has no segmenter: "
        "--lines oracle)",
    )
    parser.add_argument(
        "--patch-scale",
        type=float,
        help="override the grouper's patch_scale (0: none, a fixed patch_size)",
    )
    parser.add_argument("--patch-size", type=int, help="override the patch_size")
    parser.add_argument(
        "--segment-size",
        type=int,
        nargs=2,
        metavar=("HEIGHT", "WIDTH"),
        help="override the size photos are segmented at",
    )
    parser.add_argument(
        "--garment-choice",
        choices=["largest", "textured", "probe"],
        help="override the garment cut when none is named",
    )
    parser.add_argument(
        "--enhancer",
        help="an enhancer preset or .keras file to add (or 'none' to drop one)",
    )
    parser.add_argument("--enhance-below", type=int, help="override enhance_below")
    parser.add_argument(
        "--texture-squares", type=int, help="override texture_squares (0: none)"
    )
    parser.add_argument(
        "--small-patch", type=int, help="override small_patch (0: keep all)"
    )
    parser.add_argument(
        "--frame-scale",
        type=int,
        choices=[0, 1],
        help="override frame_scale (1: sizes in the pixels of the photo fitted "
        "to segment_size; 0: in its own)",
    )
    parser.add_argument(
        "--segmenter", help="a segmenter preset or .keras file to use instead"
    )
    args = parser.parse_args()
    paths, masks, labels, sources, garments = load(args.data)
    selection, report = split_by_source(labels, sources, args.split_seed)
    halves = {"selection": selection, "report": report}
    print(
        f"{len(paths)} photos, {len(np.unique(labels))} families, "
        f"{len(np.unique(sources))} sources; selection half {selection.sum()}, "
        f"report half {report.sum()}"
    )
    overrides = {}
    if args.patch_scale is not None:
        overrides["patch_scale"] = args.patch_scale or None
    if args.patch_size is not None:
        overrides["patch_size"] = args.patch_size
    if args.segment_size is not None:
        overrides["segment_size"] = tuple(args.segment_size)
    if args.garment_choice is not None:
        overrides["garment_choice"] = args.garment_choice
    if args.enhance_below is not None:
        overrides["enhance_below"] = args.enhance_below
    if args.texture_squares is not None:
        overrides["texture_squares"] = args.texture_squares
    if args.small_patch is not None:
        overrides["small_patch"] = args.small_patch
    if args.frame_scale is not None:
        overrides["frame_scale"] = bool(args.frame_scale)
    if args.enhancer == "none":
        overrides["enhancer"] = None
    elif args.enhancer:
        overrides["enhancer"] = load_model(args.enhancer, kp.models.RRDBNet)
    if args.segmenter:
        overrides["segmenter"] = load_model(args.segmenter, kp.models.DeepLabV3Plus)
    grouper = kp.PatternGrouper.from_preset(args.grouper, progress=False, **overrides)
    print(
        f"grouper {args.grouper}: segment_size {grouper.segment_size}, "
        f"patch_size {grouper.patch_size}, patch_scale "
        f"{grouper.patch_scale}, garment_choice {grouper.garment_choice}, "
        f"texture_squares {grouper.texture_squares}, "
        f"small_patch {grouper.small_patch}, frame_scale {grouper.frame_scale}, "
        f"enhancer {grouper.enhancer is not None} (below {grouper.enhance_below} px)"
    )
    oracles = oracle_boxes(masks)
    runs = {
        "grouper": lambda: grouper.embed(paths),
        "named": lambda: grouper.embed(paths, garments=garments),
    }
    for name, run in runs.items():
        if name not in args.lines:
            continue
        began = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - began
        line(name, result, labels, masks, args.seeds, halves, seconds, oracles)
    # The same embedding stage, given the best candidates, the oracle's squares
    # or whole photos.
    patches = kp.PatternGrouper(
        embedder=grouper.embedder,
        enhancer=grouper.enhancer,
        enhance_below=grouper.enhance_below,
        patch_size=grouper.patch_size,
        patch_scale=grouper.patch_scale,
        flip_views=grouper.flip_views,
        progress=False,
    )
    photos = [np.asarray(Image.open(path).convert("RGB")) for path in paths]
    squares = [
        photo[top:bottom, left:right]
        for photo, (top, left, bottom, right) in zip(photos, oracles, strict=True)
    ]
    lines = [("oracle", squares), ("whole photo", photos)]
    parts = {"all": np.ones(len(labels), bool), **halves}
    if {"best candidate", "segmenter"} & set(args.lines):
        segments = segmented(grouper, photos)
    if "best candidate" in args.lines:
        best, found = best_candidates(grouper, photos, masks, segments)
        lines.insert(0, ("best candidate", best))
        print(
            "photos with a candidate square at least 90% on the patterned garment: "
            + " | ".join(f"{part} {found[m].mean():.0%}" for part, m in parts.items())
        )
    if "segmenter" in args.lines:
        found, purity = garment_purity(grouper, masks, segments)
        print(
            "segmenter    patterned garment's pixels given a garment class / its "
            "most frequent class: "
            + " | ".join(
                f"{part} {found[m].mean():.0%} / {purity[m].mean():.0%}"
                for part, m in parts.items()
            )
        )
    for name, inputs in lines:
        if name not in args.lines:
            continue
        began = time.perf_counter()
        result = patches.embed(at_grouper_scale(grouper, photos, inputs))
        seconds = time.perf_counter() - began
        line(name, result, labels, masks, args.seeds, halves, seconds)


if __name__ == "__main__":
    main()
