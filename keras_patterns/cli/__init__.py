"""The `keras-patterns` console command: a module per subcommand.

Subcommands: `demo` (the main job on the embedded synthetic data), `group`
(group a folder of swatches with a preset, or of photos with a saved
grouper), `similar` (more like this, from a saved grouper's catalogue),
`presets` (list the installed presets), `export` (a saved grouper's models as
SavedModel, ONNX or LiteRT files), `synthetic` (write synthetic scenes in an
In-shop layout), `prepare-inshop` (original layout to flat layout),
`convert-esrgan` (official ESRGAN weights to Keras) and `contact-sheet` (look
at a data set). Each module adds its parser (`add_parser`) beside the
function that runs it (`run`). Run `keras-patterns SUBCOMMAND --help` for
each one's options.

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

from keras_patterns.cli import convert_esrgan
from keras_patterns.cli import data
from keras_patterns.cli import demo
from keras_patterns.cli import export
from keras_patterns.cli import group
from keras_patterns.cli import presets
from keras_patterns.cli import similar
from keras_patterns.cli.export import EXPORT_FORMATS
from keras_patterns.cli.options import EXIT_STATUS
from keras_patterns.version import __version__

__all__ = ["EXPORT_FORMATS", "build_parser", "main"]

# Failures of the work itself: exit 1 with one line (argparse exits 2 for usage).
RUNTIME_ERRORS = (ValueError, OSError, ImportError)


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
    for command in (demo, group, similar, presets, export):
        command.add_parser(add)
    data.add_parsers(add)
    convert_esrgan.add_parser(add)
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
        `prepare-inshop --strict`, `demo`, `export --verify`). Usage errors
        (an unknown option, a bad value, `group --assign` without
        `--grouper`) raise argparse's `SystemExit` with status 2 before any
        work; other exceptions are bugs and propagate with their traceback.
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
