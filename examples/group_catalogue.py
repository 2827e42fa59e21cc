"""Group a catalogue of product photos by pattern, end to end, with the Python API.

    python examples/group_catalogue.py --out group_out                  # synthetic
    python examples/group_catalogue.py --images photos/ --grouper demo_out/grouper \
        --out group_out
    python examples/group_catalogue.py --quick --out /tmp/group          # CI size

Without `--grouper`, the components are trained here on synthetic data (as
`keras-patterns demo` does, with smaller budgets); without `--images`, a
synthetic catalogue is drawn. Writes `groups.csv`, `groups.json` and a
contact sheet per group.
"""

import argparse
from pathlib import Path

import keras_patterns as kp
from keras_patterns.apps import recipes


def build_grouper(quick):
    steps = (4, 4, 4) if quick else (250, 80, 300)
    segmenter = recipes.train_segmenter(steps[0], scenes=64 if quick else 1200)
    enhancer = recipes.train_enhancer(steps[1], patches=64 if quick else 1000)
    embedder = recipes.train_embedder(
        steps[2], items=160 if quick else 4000, size=32 if quick else 64
    )
    return kp.PatternGrouper(
        segmenter,
        enhancer,
        embedder,
        patch_size=32 if quick else 64,
        segment_size=recipes.SEGMENT_SIZE,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", help="folder of product photos")
    parser.add_argument("--grouper", help="a grouper saved by PatternGrouper.save")
    parser.add_argument("--clusters", default="auto", help="number of groups, or auto")
    parser.add_argument("--out", default="group_out")
    parser.add_argument("--quick", action="store_true", help="small run (CI)")
    args = parser.parse_args()
    out = Path(args.out)
    if args.images:
        files, garments = args.images, None
    else:
        files, garments, _ = kp.datasets.write_synthetic_catalogue(
            out / "catalogue", 1 if args.quick else 10, 5
        )
    grouper = (
        kp.PatternGrouper.load(args.grouper)
        if args.grouper
        else build_grouper(args.quick)
    )
    clusters = args.clusters if args.clusters == "auto" else int(args.clusters)
    grouper.clusterer = kp.clustering.KMeans(
        clusters, k_range=(2, 20), metric="cosine", random_state=0
    )
    result = grouper.fit_group(files, garments=garments)
    result.to_csv(out / "groups.csv")
    result.to_json(out / "groups.json")
    result.contact_sheet(out / "contact_sheets")
    print(f"{result}; results in {out}")
    for source, reason in result.failures:
        print(f"  failed: {source}: {reason}")


if __name__ == "__main__":
    main()
