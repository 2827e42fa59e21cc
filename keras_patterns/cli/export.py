"""`keras-patterns export`: a grouper's models as SavedModel, ONNX or LiteRT."""

import argparse
from collections.abc import Callable

from keras_patterns.cli.options import positive_float

# keras_patterns.apps.export.FORMATS, without importing Keras to build the parser.
EXPORT_FORMATS = ("tf_saved_model", "onnx", "litert")


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the `export` subcommand through `add` (the subparsers' `add_parser`)."""
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
        type=positive_float,
        default=1e-3,
        help="largest difference --verify accepts (default 1e-3)",
    )
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exports, and with --verify compares; 1 above the tolerance."""
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
