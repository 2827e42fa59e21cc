"""`keras-patterns convert-esrgan`: official ESRGAN weights to a `.keras` file."""

import argparse
from collections.abc import Callable


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `convert-esrgan` through `add` (the subparsers' `add_parser`)."""
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
    convert.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Converts and saves the checkpoint."""
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
