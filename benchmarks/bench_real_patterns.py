"""How well an embedder groups REAL pattern images, against handcrafted features.

The embedders here train on synthetic data only; this benchmark measures
what carries over to real textures. It reads a set of real pattern crops
(`--data`, an .npz with `images` (N, H, W, 3) uint8, `labels` into
`class_names` and `source_ids`, the source texture of each crop) and
reports, for the embedder and, in the same run, for handcrafted texture
features (rotation-invariant uniform LBP histograms at radii 1, 2 and 3,
and Gabor energies at 4 orientations and 3 frequencies: the 1990s
baseline):

* NMI of k-means (k = the number of families) against the families,
  averaged over `--seeds` seeds;
* R@1 across sources: for each crop whose family has at least two source
  textures in the set, whether its nearest neighbour (cosine) among crops
  of *other* sources belongs to the same family. Crops of one source are
  near copies of each other, so only this counts a pattern recognised
  across textures.

Each line is reported on the whole set and on its two halves by source
(`split_by_source`): the **selection** half, on which recipes and
hyper-parameters are chosen, and the **report** half, on which nothing is
chosen and whose figure is the one to quote. No source is in both halves.

    python benchmarks/bench_real_patterns.py --data PATH.npz --preset patterns_synthetic
    python benchmarks/bench_real_patterns.py --data PATH.npz --grouper demo_out/grouper
    python benchmarks/bench_real_patterns.py --data PATH.npz --embedder embedder.keras

The set is for validation only: never train on it.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy import ndimage  # noqa: E402
from scipy import signal  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.apps.validation import embed_crops  # noqa: E402
from keras_patterns.apps.validation import kmeans_nmi  # noqa: E402, F401
from keras_patterns.apps.validation import load_real_crops  # noqa: E402
from keras_patterns.apps.validation import nearest_across_sources  # noqa: E402
from keras_patterns.apps.validation import recall_across_sources  # noqa: E402, F401
from keras_patterns.apps.validation import split_by_source  # noqa: E402, F401
from keras_patterns.utils.presets import preset_metadata  # noqa: E402
from keras_patterns.utils.presets import resolve_preset  # noqa: E402


def load(path):
    try:
        data = load_real_crops(path)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    return data["images"], data["labels"], data["source_ids"], data["class_names"]


def embed(embedder, images, size, flips):
    return embed_crops(embedder, images, size, flips)


# === Handcrafted baseline ===


def _uniform_lbp_histogram(grey, radius, points=8):
    """Rotation-invariant uniform LBP histogram (P + 2 bins) at `radius`."""
    angles = 2 * np.pi * np.arange(points) / points
    centre = grey[radius:-radius, radius:-radius]
    bits = []
    for angle in angles:
        y = np.arange(radius, grey.shape[0] - radius)[:, None] - radius * np.sin(angle)
        x = np.arange(radius, grey.shape[1] - radius)[None, :] + radius * np.cos(angle)
        y, x = np.broadcast_arrays(y, x)
        sample = ndimage.map_coordinates(grey, [y, x], order=1)
        bits.append(sample >= centre)
    bits = np.stack(bits).astype(np.int8)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[:1]]), axis=0)).sum(0)
    codes = np.where(transitions <= 2, bits.sum(0), points + 1)
    histogram = np.bincount(codes.ravel(), minlength=points + 2).astype(np.float64)
    return histogram / histogram.sum()


def _gabor_kernel(frequency, theta, sigma_scale=0.56):
    sigma = sigma_scale / frequency
    half = int(np.ceil(3 * sigma))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    rotated = x * np.cos(theta) + y * np.sin(theta)
    envelope = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    return envelope * np.exp(2j * np.pi * frequency * rotated)


def handcrafted_features(images):
    """LBP histograms (radii 1, 2, 3) and Gabor energy statistics, per image."""
    kernels = [
        _gabor_kernel(f, t) for f in (0.1, 0.2, 0.35) for t in np.arange(4) * np.pi / 4
    ]
    features = []
    for image in images:
        grey = np.asarray(Image.fromarray(image).convert("L"), np.float64) / 255.0
        lbp = [_uniform_lbp_histogram(grey, r) for r in (1, 2, 3)]
        centred = grey - grey.mean()
        gabor = []
        for kernel in kernels:
            half = kernel.shape[0] // 2
            padded = np.pad(centred, half, mode="reflect")
            response = signal.fftconvolve(padded, kernel, mode="valid")
            magnitude = np.abs(response)
            gabor += [magnitude.mean(), magnitude.std()]
        features.append(np.concatenate([*lbp, gabor]))
    features = np.asarray(features)
    # Standardised per dimension: LBP bins and Gabor energies weigh alike.
    return (features - features.mean(0)) / (features.std(0) + 1e-12)


# === Figures ===


def scores(vectors, labels, sources, seeds, halves):
    """`{part: (NMI, R@1 across sources)}` on the whole set and each half."""
    parts = {"all": np.ones(len(labels), bool), **halves}
    return {
        part: (
            kmeans_nmi(vectors[mask], labels[mask], seeds),
            recall_across_sources(vectors[mask], labels[mask], sources[mask])[0],
        )
        for part, mask in parts.items()
    }


def report(name, vectors, labels, sources, seeds, seconds, halves):
    found = scores(vectors, labels, sources, seeds, halves)
    cells = "   ".join(
        f"{part} {nmi:.3f} / {recall:.3f}" for part, (nmi, recall) in found.items()
    )
    print(f"{name:30s} {cells}   {seconds:6.1f} s", flush=True)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the real crops (.npz)")
    parser.add_argument("--preset", help="an embedder preset (name or folder)")
    parser.add_argument("--grouper", help="a saved PatternGrouper (its embedder)")
    parser.add_argument(
        "--embedder", nargs="+", default=[], help="saved PatternEmbedders (.keras)"
    )
    parser.add_argument(
        "--per-family",
        action="store_true",
        help="also R@1 across sources per family, on each half",
    )
    parser.add_argument("--size", type=int, help="resize crops to this side first")
    parser.add_argument("--no-flips", action="store_true", help="one view per crop")
    parser.add_argument("--seeds", type=int, default=3, help="k-means seeds")
    parser.add_argument(
        "--split-seed", type=int, default=0, help="seed of the split by source"
    )
    args = parser.parse_args()
    images, labels, sources, names = load(args.data)
    print(
        f"{len(images)} crops of {len(names)} families from "
        f"{len(np.unique(sources))} source textures: {', '.join(names)}"
    )
    selection, held = split_by_source(labels, sources, args.split_seed)
    halves = {"selection": selection, "report": held}
    for part, mask in halves.items():
        print(
            f"  {part} half: {mask.sum()} crops, {len(np.unique(labels[mask]))} "
            f"families, sources {np.unique(sources[mask]).tolist()}"
        )
    print("NMI (k = families, mean of k-means seeds) / R@1 across sources:")
    start = time.perf_counter()
    baseline = handcrafted_features(images)
    report(
        "handcrafted (LBP + Gabor)",
        baseline,
        labels,
        sources,
        args.seeds,
        time.perf_counter() - start,
        halves,
    )
    embedders = []
    if args.preset:
        model = kp.models.PatternEmbedder.from_preset(args.preset)
        folder = resolve_preset(args.preset)  # a name or a folder alike
        size = preset_metadata(folder).get("patch_size")
        embedders.append((f"preset {args.preset}", model, args.size or size))
    if args.grouper:
        grouper = kp.PatternGrouper.load(args.grouper, progress=False)
        embedders.append(
            ("grouper embedder", grouper.embedder, args.size or grouper.patch_size)
        )
    for path in args.embedder:
        model = keras.saving.load_model(path, safe_mode=True)
        embedders.append((os.path.basename(path), model, args.size))
    for name, model, size in embedders:
        start = time.perf_counter()
        vectors = embed(model, images, size, flips=not args.no_flips)
        report(
            name,
            vectors,
            labels,
            sources,
            args.seeds,
            time.perf_counter() - start,
            halves,
        )
        if args.per_family:
            every = {"all": np.ones(len(labels), bool), **halves}
            per_family(vectors, labels, sources, names, every)


def per_family(vectors, labels, sources, names, halves):
    """R@1 across sources of each family with two or more sources in a part."""
    for part, mask in halves.items():
        where = sources[mask]
        found = labels[mask][nearest_across_sources(vectors[mask], where)]
        cells = []
        for family in np.unique(labels[mask]):
            own = labels[mask] == family
            if len(np.unique(where[own])) >= 2:
                cells.append(f"{names[family]} {np.mean(found[own] == family):.2f}")
        print(f"    {part} R@1 per family: " + ", ".join(cells))


if __name__ == "__main__":
    main()
