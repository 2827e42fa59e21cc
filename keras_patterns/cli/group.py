"""`keras-patterns group`: a folder grouped by pattern, with no training."""

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from keras_patterns.cli.options import DEFAULT_PRESET
from keras_patterns.cli.options import PHOTO_PRESET
from keras_patterns.cli.options import count


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the `group` subcommand through `add` (the subparsers' `add_parser`)."""
    group = add(
        "group",
        help="group a folder of swatches (with a preset) or photos (saved grouper)",
        description="Group the images of a folder by pattern, with no training. "
        f"By default (or with --preset) the preset {DEFAULT_PRESET!r} embeds each "
        "image whole, so the images should be swatches: patches of fabric, not "
        "product photos. With --grouper, a grouper saved by PatternGrouper.save "
        "(for example demo_out/grouper, which cuts patches out of product photos "
        "with its segmenter). The groups are found anew in the folder; --assign "
        "puts the images into the saved grouper's groups instead. Writes "
        "groups.csv, groups.json, contact sheets and report.html (a page of the "
        "groups to open in a browser), and prints how many images "
        "failed (unreadable, or no garment found); exits 1 for that only with "
        "--strict.",
    )
    group.add_argument("images", help="folder of swatches or product photos")
    group.add_argument("--out", required=True, help="output folder")
    models = group.add_mutually_exclusive_group()
    models.add_argument(
        "--preset",
        help="preset name (see `keras-patterns presets`), folder written by "
        f"save_to_preset, hf:// or kaggle:// handle (default: {DEFAULT_PRESET})",
    )
    models.add_argument("--grouper", help="folder written by PatternGrouper.save")
    group.add_argument(
        "--clusters",
        type=functools.partial(count, allow_auto=True),
        default="auto",
        help="number of groups, or auto",
    )
    group.add_argument(
        "--assign", action="store_true", help="use the saved groups (needs --grouper)"
    )
    group.add_argument(
        "--garments",
        help="CSV with file,garment columns: the garment to cut each photo's "
        "patch from, by file name",
    )
    group.add_argument(
        "--embeddings",
        metavar="NPY",
        help="also write the embeddings to this .npy file as they are computed",
    )
    group.add_argument(
        "--no-report",
        dest="report",
        action="store_false",
        help="do not write report.html",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bars")
    group.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any image failed"
    )
    group.set_defaults(run=run, check=functools.partial(check, group))


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors of `group`, found before any work (exit 2)."""
    if args.assign and args.grouper is None:
        parser.error("--assign needs --grouper: a preset holds an embedder, not groups")


def read_garments(path: str) -> dict[str, str | None]:
    """`{file name: garment}` from a CSV with `file` and `garment` columns."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"file", "garment"} <= set(rows[0]):
        raise ValueError(
            f"{path} must have the columns file,garment. Received: {', '.join(rows[0])}"
        )
    return {Path(row["file"]).name: row["garment"] or None for row in rows}


def photos_given_to_a_swatch_preset(images: str, checked: int = 8) -> bool:
    """Whether most of the first images look like product photos."""
    import itertools

    from keras_patterns.grouping.inputs import iter_inputs
    from keras_patterns.grouping.inputs import looks_like_product_photo
    from keras_patterns.grouping.inputs import read_input

    first = [
        read_input(entry) for _, entry in itertools.islice(iter_inputs(images), checked)
    ]
    read = [image for image in first if not isinstance(image, str)]
    photos = sum(looks_like_product_photo(image) for image in read)
    return bool(read) and photos * 2 > len(read)


def run(args: argparse.Namespace) -> int:
    """Groups the folder and writes the results; 1 for failures with --strict."""
    from keras_patterns.clustering.kmeans import KMeans
    from keras_patterns.grouping.pattern_grouper import PatternGrouper

    overrides = {"progress": not args.quiet}
    if not args.assign:  # the groups are found anew in the folder
        overrides["clusterer"] = KMeans(args.clusters, metric="cosine", random_state=0)
    if args.grouper is not None:
        grouper = PatternGrouper.load(args.grouper, **overrides)
    else:
        grouper = PatternGrouper.from_preset(args.preset or DEFAULT_PRESET, **overrides)
    if grouper.segmenter is None and photos_given_to_a_swatch_preset(args.images):
        print(
            f"note: {args.images} holds what look like product photos (a subject "
            "on a backdrop), and this preset embeds each image whole, as a "
            f"swatch; for photos, use --preset {PHOTO_PRESET}",
            file=sys.stderr,
        )
    garments = read_garments(args.garments) if args.garments else None
    result = grouper.group(
        args.images, garments=garments, embeddings_path=args.embeddings
    )
    out = Path(args.out)
    result.to_csv(out / "groups.csv")
    result.to_json(out / "groups.json")
    if result.groups:
        result.contact_sheet(out / "contact_sheets")
    # Written for failures alone too: the page lists them with their reasons.
    page = result.to_html(out) if args.report else None
    print(
        f"{len(result)} images: {len(result.groups)} groups, "
        f"{len(result.failures)} failed; results in {out}"
    )
    if page is not None:
        print(f"report: {page.as_uri()}")
    for source, reason in result.failures:
        print(f"  failed: {source}: {reason}")
    return 1 if result.failures and args.strict else 0
