"""The `keras-patterns` console command.

Subcommands: `demo` (the main job on the embedded synthetic data), `group`
(group a folder of swatches with a preset, or of photos with a saved
grouper), `similar` (more like this, from a saved grouper's catalogue),
`presets` (list the installed presets), `export` (a saved grouper's models as
SavedModel, ONNX or LiteRT files), `synthetic` (write synthetic scenes in an
In-shop layout), `prepare-inshop` (original layout to flat layout),
`convert-esrgan` (official ESRGAN weights to Keras) and `contact-sheet` (look
at a data set).
Run `keras-patterns SUBCOMMAND --help` for each one's options.

Exit status: 0 on success; 1 for a run-time failure (a missing or damaged
file, a bad value, a missing optional dependency: one line naming the
problem, and the traceback with `--verbose`) or for the failures a
subcommand reports (see its help); 2 for a usage error.
"""

import argparse
import functools
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from keras_patterns.version import __version__

DEFAULT_PRESET = "patterns_synthetic"
# keras_patterns.apps.export.FORMATS, without importing Keras to build the parser.
EXPORT_FORMATS = ("tf_saved_model", "onnx", "litert")
# Failures of the work itself: exit 1 with one line (argparse exits 2 for usage).
RUNTIME_ERRORS = (ValueError, OSError, ImportError)
EXIT_STATUS = (
    "exit status: 0 success, 1 run-time failure (one line naming the problem; "
    "--verbose adds the traceback), 2 usage error"
)


def _image_size(text):
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HEIGHTxWIDTH such as 256x192, got {text!r}"
        ) from None
    return height, width


def _count(text, allow_auto=False):
    """An int >= 1 (or "auto", with `allow_auto`), for argparse."""
    if allow_auto and text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        expected = "a positive int or auto" if allow_auto else "a positive int"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _add_synthetic_options(parser, items, views):
    parser.add_argument("--items", type=int, default=items, help="number of products")
    parser.add_argument("--views", type=int, default=views, help="photos per product")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--image-size",
        type=_image_size,
        default=(256, 192),
        metavar="HxW",
        help="image size, height x width (default 256x192)",
    )


def _cmd_demo(args):
    from keras_patterns.apps.demo import run_demo

    summary = run_demo(
        args.out,
        quick=args.quick,
        seed=args.seed,
        progress=not args.quiet,
        embedder_preset=args.from_preset,
    )
    return 0 if summary["grouped"] else 1


def _read_garments(path, files):
    """Garment hints from a CSV with `file` and `garment` columns."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        table = {row["file"]: row["garment"] or None for row in csv.DictReader(f)}
    return [table.get(Path(file).name) for file in files]


def _grouper(args):
    from keras_patterns.grouping.pattern_grouper import PatternGrouper

    progress = not args.quiet
    if args.grouper is not None:
        return PatternGrouper.load(args.grouper, progress=progress)
    return PatternGrouper.from_preset(args.preset or DEFAULT_PRESET, progress=progress)


def _check_group(parser, args):
    """Usage errors of `group`, found before any work (exit 2)."""
    if args.assign and args.grouper is None:
        parser.error("--assign needs --grouper: a preset holds an embedder, not groups")


def _cmd_group(args):
    from keras_patterns.clustering import KMeans
    from keras_patterns.grouping.inputs import list_inputs

    grouper = _grouper(args)
    files = [source for source, _ in list_inputs(args.images)]
    garments = _read_garments(args.garments, files) if args.garments else None
    if args.assign:
        result = grouper.group(
            files, garments=garments, embeddings_path=args.embeddings
        )
    else:
        grouper.clusterer = KMeans(args.clusters, metric="cosine", random_state=0)
        result = grouper.fit_group(
            files, garments=garments, embeddings_path=args.embeddings
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


def _cmd_similar(args):
    import csv

    from keras_patterns.grouping.inputs import list_inputs
    from keras_patterns.grouping.pattern_grouper import PatternGrouper
    from keras_patterns.utils.io import atomic_path

    grouper = PatternGrouper.load(args.grouper, progress=not args.quiet)
    queries = [source for source, _ in list_inputs(args.images)]
    distances, indices = grouper.similar(queries, k=args.k)
    index, names = grouper.catalogue_index_.tolist(), grouper.catalogue_sources_
    sources = dict(zip(index, names, strict=True))
    rows = [
        (query, rank, sources[int(index)], f"{distance:.6f}")
        for query, found, far in zip(queries, indices, distances, strict=True)
        for rank, (index, distance) in enumerate(zip(found, far, strict=True), 1)
        if index >= 0
    ]
    failed = [
        query for query, found in zip(queries, indices, strict=True) if found[0] < 0
    ]
    if args.out:
        with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("query", "rank", "neighbour", "distance"))
            writer.writerows(rows)
        print(f"{len(queries)} queries, {args.k} neighbours each: {args.out}")
    else:
        for query, rank, neighbour, distance in rows:
            if rank == 1:
                print(query)
            print(f"  {rank:>3}  {distance}  {neighbour}")
    for query in failed:
        print(f"  failed: {query}", file=sys.stderr)
    return 1 if failed else 0


def _figure(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-" if value is None else str(value)
    return f"{value:.3f}"


def _cmd_presets(args):
    from keras_patterns.utils.presets import list_presets

    presets = list_presets()
    if not presets:
        print("no preset installed")
    for name, meta in presets.items():
        params = meta.get("params")
        print(
            f"{name}: {meta.get('class_name', '?')}, "
            + (f"{params:,} parameters, " if isinstance(params, int) else "")
            + f"{meta.get('patch_size', '?')}-pixel patches"
        )
        print(f"  {meta.get('description', '')}")
        print(f"  trained on: {meta.get('trained_on', '?')}")
        validation = meta.get("validation") or {}
        if validation:
            print(
                f"  validation: NMI {_figure(validation.get('nmi'))}, R@1 across "
                f"sources {_figure(validation.get('recall_at_1_across_sources'))}"
                f" ({validation.get('data', '?')})"
            )
    return 0


def _cmd_export(args):
    from keras_patterns.apps.export import export_grouper
    from keras_patterns.apps.export import verify_export

    manifest = export_grouper(args.grouper, args.out, format=args.format)
    files = [entry["file"] for entry in manifest["models"].values()]
    print(f"{args.format}: {', '.join(files)} and export.json written to {args.out}")
    if not args.verify:
        return 0
    differences = verify_export(args.out, args.grouper)
    print(
        "largest difference from Keras: "
        + ", ".join(f"{name} {value:.2g}" for name, value in differences.items())
    )
    return 1 if max(differences.values()) > args.tolerance else 0


def _cmd_synthetic(args):
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


def _cmd_prepare(args):
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


def _cmd_convert_esrgan(args):
    from keras_patterns.enhancement.rrdb_net import RRDBNet

    model = RRDBNet.from_torch_checkpoint(args.checkpoint, key=args.key)
    model.save(args.output)
    print(
        f"saved {args.output}: RRDBNet(scale={model.scale}, "
        f"num_blocks={model.num_blocks}, "
        f"filters={model.filters}, growth={model.growth}), "
        f"{model.count_params():,} parameters"
    )
    return 0


def _cmd_contact_sheet(args):
    from keras_patterns.datasets.preview import preview_sheet

    preview_sheet(args.data, n=args.n, columns=args.columns).save(args.output)
    print(f"saved {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `keras-patterns` command and its subcommands.

    Returns:
        An `argparse.ArgumentParser`; each subcommand sets `run`, the
        function that carries it out.
    """
    parser = argparse.ArgumentParser(
        prog="keras-patterns",
        description="Group products by their visual pattern (keras-patterns).",
        epilog=EXIT_STATUS,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    verbose_help = "on an error, print the traceback too"
    parser.add_argument("--verbose", action="store_true", help=verbose_help)
    # Also accepted after the subcommand; SUPPRESS keeps a --verbose given
    # before it from being reset by the subcommand's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help=verbose_help
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = functools.partial(sub.add_parser, parents=[common], epilog=EXIT_STATUS)

    demo = add(
        "demo",
        help="run the whole method on the embedded synthetic data",
        description="Draw a synthetic catalogue, train a segmenter and an enhancer "
        "from scratch, fine-tune the patterns_synthetic embedder preset on "
        "synthetic fabric patches (--from-scratch: train it from random weights), "
        "group the catalogue by pattern and write "
        "groups.csv, groups.json, contact sheets, summary.json (NMI, ARI, times) and "
        "the fitted grouper. About 15 minutes on 2 CPU cores; --quick about 3. "
        "Exits 1 when nothing could be grouped.",
    )
    demo.add_argument("--out", required=True, help="output folder")
    demo.add_argument("--quick", action="store_true", help="small settings (CI)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    start = demo.add_mutually_exclusive_group()
    start.add_argument(
        "--from-preset",
        metavar="PRESET",
        default=DEFAULT_PRESET,
        help=f"the embedder preset to fine-tune (default: {DEFAULT_PRESET})",
    )
    start.add_argument(
        "--from-scratch",
        dest="from_preset",
        action="store_const",
        const=None,
        help="train the embedder from random weights instead of a preset",
    )
    demo.set_defaults(run=_cmd_demo)

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
        type=functools.partial(_count, allow_auto=True),
        default="auto",
        help="number of groups, or auto",
    )
    group.add_argument(
        "--assign", action="store_true", help="use the saved groups (needs --grouper)"
    )
    group.add_argument(
        "--garments", help="CSV with file,garment columns (category hints)"
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
    group.set_defaults(run=_cmd_group, check=functools.partial(_check_group, group))

    similar = add(
        "similar",
        help="find the catalogue products whose pattern is like each query's",
        description="More like this: for each query image, the K products of the "
        "catalogue a saved grouper was fitted on whose pattern is closest "
        "(PatternGrouper.similar), nearest first with its distance. Prints them, "
        "or writes query,rank,neighbour,distance rows to --out. Exits 1 when a "
        "query failed.",
    )
    similar.add_argument("images", help="query image, or folder of query images")
    similar.add_argument(
        "--grouper", required=True, help="folder written by PatternGrouper.save"
    )
    similar.add_argument("-k", type=_count, default=10, help="neighbours per query")
    similar.add_argument("--out", help="CSV file to write instead of printing")
    similar.add_argument("--quiet", action="store_true", help="no progress bars")
    similar.set_defaults(run=_cmd_similar)

    presets = add(
        "presets",
        help="list the installed presets",
        description="List the presets installed with keras-patterns: model, "
        "description, training data and validation figures (NMI and R@1 across "
        "sources on real pattern crops).",
    )
    presets.set_defaults(run=_cmd_presets)

    export = add(
        "export",
        help="write a saved grouper's models as SavedModel, ONNX or LiteRT files",
        description="Export the segmenter and the embedder of a grouper saved by "
        "PatternGrouper.save (or the embedder of a preset) for inference without "
        "Keras: segmenter and embedder files in OUT (.onnx, .tflite, or SavedModel "
        "folders), with dynamic batch, height and width (height and width fixed "
        "on the PyTorch backend), and export.json, which "
        "gives each file's input (float32 RGB in [0, 1], NHWC) and output. "
        "--verify runs each file with its runtime (ONNX Runtime, LiteRT, "
        "TensorFlow) and the Keras model on random images, prints the largest "
        "difference and exits 1 when one exceeds --tolerance.",
    )
    export.add_argument(
        "grouper",
        metavar="GROUPER_DIR",
        help="folder written by PatternGrouper.save, or an embedder preset",
    )
    export.add_argument("out", metavar="OUT", help="output folder")
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, default="onnx", help="default: onnx"
    )
    export.add_argument(
        "--verify", action="store_true", help="compare the files with Keras"
    )
    export.add_argument(
        "--tolerance",
        type=_positive_float,
        default=1e-3,
        help="largest difference --verify accepts (default 1e-3)",
    )
    export.set_defaults(run=_cmd_export)

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
    _add_synthetic_options(synthetic, items=32, views=2)
    synthetic.set_defaults(run=_cmd_synthetic)

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
    prepare.set_defaults(run=_cmd_prepare)

    convert = add(
        "convert-esrgan",
        help="convert an official ESRGAN / Real-ESRGAN .pth checkpoint to .keras",
        description="Read an ESRGAN (RRDB_trunk...) or BasicSR / Real-ESRGAN "
        "(body..., params_ema) checkpoint with PyTorch (weights_only=True) and save "
        "the equivalent keras_patterns.models.RRDBNet. Exits 1 when PyTorch is "
        "not installed.",
    )
    convert.add_argument("checkpoint", help=".pth file")
    convert.add_argument("output", help=".keras file to write")
    convert.add_argument(
        "--key", default=None, help="wrapper key (default: params_ema, else params)"
    )
    convert.set_defaults(run=_cmd_convert_esrgan)

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
    sheet.set_defaults(run=_cmd_contact_sheet)
    return parser


def _show_library_logs(quiet):
    """Library modules log through `logging`; the command shows their INFO."""
    logger = logging.getLogger("keras_patterns")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `keras-patterns` command.

    `--verbose` (before or after the subcommand) adds the traceback to the
    one-line message of a run-time failure.

    Args:
        argv: the command-line arguments, without the program name;
            `None` reads `sys.argv`.

    Returns:
        The exit status: 0 on success; 1 for a run-time failure (a
        `ValueError`, an `OSError` such as a missing file, or an
        `ImportError` of an optional dependency: one line
        `keras-patterns COMMAND: error: ...` on stderr) or for the failures
        the subcommand reports (see its help: `group --strict`, `similar`,
        `prepare-inshop --strict`, `demo`, `export --verify`). Usage errors (an unknown
        option, a bad value, `group --assign` without `--grouper`) raise
        argparse's `SystemExit` with status 2 before any work; other
        exceptions are bugs and propagate with their traceback.
    """
    args = build_parser().parse_args(argv)
    if hasattr(args, "check"):
        args.check(args)
    _show_library_logs(getattr(args, "quiet", False))
    try:
        return args.run(args)
    except RUNTIME_ERRORS as error:
        if args.verbose:
            traceback.print_exc()
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"keras-patterns {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
