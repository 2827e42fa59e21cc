"""`keras-patterns demo`: the whole method on the embedded synthetic data."""

import argparse
from collections.abc import Callable

from keras_patterns.cli.options import DEFAULT_PRESET


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the `demo` subcommand through `add` (the subparsers' `add_parser`)."""
    demo = add(
        "demo",
        help="run the whole method on the embedded synthetic data",
        description="Draw a synthetic catalogue, segment it with the "
        "garments_synthetic segmenter preset (--train-segmenter: train one from "
        "scratch) and the textures_x4 enhancer preset (--train-enhancer: train "
        "one), group the catalogue with the "
        "patterns_synthetic embedder preset, fine-tune the preset's head on "
        "garment patches (--fine-tune, --from-scratch: train it from random "
        "weights), group the catalogue again and write groups.csv, groups.json, "
        "contact sheets, summary.json (NMI and ARI before and after fine-tuning, "
        "times) and the fitted grouper. About 15 minutes on 2 CPU cores; --quick "
        "about 3. Exits 1 when nothing could be grouped.",
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
    demo.add_argument(
        "--fine-tune",
        choices=("head", "all", "none"),
        default="head",
        help="how the embedder preset is fine-tuned on the catalogue, its ten "
        "texture families rehearsed beside the catalogue's: head (its pooling "
        "and projection only, the default: what it learnt of real textures "
        "stays), all (every layer) or none (group with the preset)",
    )
    demo.add_argument(
        "--train-segmenter",
        action="store_true",
        help="train a segmenter on synthetic scenes instead of starting from the "
        "garments_synthetic preset",
    )
    demo.add_argument(
        "--train-enhancer",
        action="store_true",
        help="train a small enhancer on synthetic fabric instead of starting "
        "from the textures_x4 preset",
    )
    demo.add_argument(
        "--validation",
        metavar="CROPS.npz",
        help="real pattern crops (images, labels, source_ids, class_names): the "
        "summary gives the embedder's figures on them before and after "
        "fine-tuning",
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs the demo; 1 when nothing could be grouped."""
    from keras_patterns.apps.demo import ENHANCER_PRESET
    from keras_patterns.apps.demo import SEGMENTER_PRESET
    from keras_patterns.apps.demo import run_demo

    summary = run_demo(
        args.out,
        quick=args.quick,
        seed=args.seed,
        progress=not args.quiet,
        embedder_preset=args.from_preset,
        fine_tune=args.fine_tune,
        validation=args.validation,
        segmenter_preset=None if args.train_segmenter else SEGMENTER_PRESET,
        enhancer_preset=None if args.train_enhancer else ENHANCER_PRESET,
    )
    return 0 if summary["grouped"] else 1
