"""The data subcommands: `synthetic`, `prepare-inshop` and `contact-sheet`."""

import argparse
from collections.abc import Callable

from keras_patterns.cli.options import add_synthetic_options


def add_parsers(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the data subcommands through `add` (the subparsers' `add_parser`)."""
    synthetic = add(
        "synthetic",
        help="write synthetic patterned-garment scenes in an In-shop layout",
        description="Write synthetic shop photographs with masks, in the original "
        "DeepFashion In-shop layout or the flat layout.",
    )
    synthetic.add_argument("root", help="output folder")
    synthetic.add_argument("--layout", choices=("inshop", "flat"), default="inshop")
    synthetic.add_argument(
        "--mask-fraction", type=float, default=1.0, help="share of images with a mask"
    )
    add_synthetic_options(synthetic, items=32, views=2)
    synthetic.set_defaults(run=run_synthetic)

    prepare = add(
        "prepare-inshop",
        help="convert DeepFashion In-shop to the flat layout",
        description="Convert the original In-shop layout (Eval/, img_highres/) to "
        "images/NNNN_LLV.jpg + masks/NNNN_LLV.png and a manifest. The source is "
        "never modified; re-running resumes.",
    )
    prepare.add_argument("source", help="root of the original layout")
    prepare.add_argument("destination", help="output folder (outside SOURCE)")
    prepare.add_argument(
        "--workers", type=int, default=None, help="threads (default: CPUs)"
    )
    prepare.add_argument(
        "--unknown",
        choices=("error", "ignore"),
        default="error",
        help="mask colours outside the table: fail the pair, or label them 255",
    )
    prepare.add_argument("--quiet", action="store_true", help="no progress bar")
    prepare.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any pair failed"
    )
    prepare.set_defaults(run=run_prepare)

    sheet = add(
        "contact-sheet",
        help="save images beside their colour-coded masks as one PNG",
        description="Save a grid of images and masks from an In-shop folder "
        "(either layout).",
    )
    sheet.add_argument("data", help="data set folder")
    sheet.add_argument("output", help="PNG file to write")
    sheet.add_argument("--n", type=int, default=16, help="number of images")
    sheet.add_argument("--columns", type=int, default=8, help="thumbnails per row")
    sheet.set_defaults(run=run_contact_sheet)


def run_synthetic(args: argparse.Namespace) -> int:
    """Writes the synthetic scenes."""
    from keras_patterns.datasets import write_synthetic_inshop

    summary = write_synthetic_inshop(
        args.root,
        args.items,
        args.views,
        args.seed,
        layout=args.layout,
        image_size=args.image_size,
        mask_fraction=args.mask_fraction,
    )
    print(
        f"{len(summary.written)} files written, {len(summary.skipped)} already present"
    )
    return 0


def run_prepare(args: argparse.Namespace) -> int:
    """Converts the layout; 1 for failed pairs with --strict."""
    from keras_patterns.datasets import prepare_inshop

    summary = prepare_inshop(
        args.source,
        args.destination,
        workers=args.workers,
        unknown=args.unknown,
        progress=not args.quiet,
    )
    print(summary)
    print(f"manifest: {summary.manifest}")
    return 1 if summary.failed and args.strict else 0


def run_contact_sheet(args: argparse.Namespace) -> int:
    """Saves the sheet."""
    from keras_patterns.datasets.preview import preview_sheet

    preview_sheet(args.data, n=args.n, columns=args.columns).save(args.output)
    print(f"saved {args.output}")
    return 0
