"""Group a folder of fabric swatches by pattern with the installed preset: no training.

    python examples/group_swatches.py --out swatches_out
    python examples/group_swatches.py --swatches MY_SWATCHES --out swatches_out
    python examples/group_swatches.py --quick --out /tmp/swatches    # CI size

Without `--swatches`, writes textures the preset never saw (another seed of
`make_texture_patches`, three per family at quick size) as PNG files into
`OUT/swatches` and reports how well the groups match their families. Then
`PatternGrouper.from_preset("patterns_synthetic")` groups the folder:
k-means with the number of groups chosen by the silhouette score.
Writes `OUT/groups.csv` and `OUT/groups.png` (a row pair per group).
"""

import argparse
from pathlib import Path

from PIL import Image
from sklearn.metrics import normalized_mutual_info_score

import keras_patterns as kp


def write_swatches(folder, per_family):
    """Unseen synthetic textures as PNG files; returns their families."""
    folder.mkdir(parents=True, exist_ok=True)
    count = per_family * len(kp.datasets.TEXTURE_FAMILIES)
    data = kp.datasets.make_texture_patches(count, (96, 96), seed=2026)
    for i, image in enumerate(data["images"]):
        Image.fromarray(image).save(folder / f"swatch_{i:04d}.png")
    return {f"swatch_{i:04d}.png": f for i, f in enumerate(data["family"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swatches", help="a folder of swatch images")
    parser.add_argument("--out", default="swatches_out")
    parser.add_argument("--preset", default="patterns_synthetic")
    parser.add_argument("--quick", action="store_true", help="small run (CI)")
    args = parser.parse_args()
    out = Path(args.out)
    families = None
    folder = args.swatches
    if folder is None:
        folder = out / "swatches"
        families = write_swatches(folder, 3 if args.quick else 20)
    grouper = kp.PatternGrouper.from_preset(args.preset, progress=not args.quick)
    result = grouper.group(folder)
    print(f"{len(result.groups)} groups of {len(result)} swatches")
    if families is not None:
        ok = result.assignments >= 0
        truth = [families[Path(item.source).name] for item in result.items]
        truth = [t for t, good in zip(truth, ok, strict=True) if good]
        nmi = normalized_mutual_info_score(truth, result.assignments[ok])
        print(f"NMI against the {len(set(truth))} texture families: {nmi:.3f}")
    result.to_csv(out / "groups.csv")
    result.contact_sheet(out / "groups.png")
    print(f"saved {out / 'groups.csv'} and {out / 'groups.png'}")


if __name__ == "__main__":
    main()
