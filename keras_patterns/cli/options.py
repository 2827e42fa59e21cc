"""Argument types and options several `keras-patterns` subcommands share."""

import argparse

DEFAULT_PRESET = "patterns_synthetic"
PHOTO_PRESET = "product_photos"
EXIT_STATUS = (
    "exit status: 0 success, 1 run-time failure (one line naming the problem; "
    "--verbose adds the traceback), 2 usage error"
)


def image_size(text: str) -> tuple[int, int]:
    """`HEIGHTxWIDTH`, for argparse."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HEIGHTxWIDTH such as 256x192, got {text!r}"
        ) from None
    return height, width


def count(text: str, allow_auto: bool = False) -> int | str:
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


def positive_float(text: str) -> float:
    """A number > 0, for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_synthetic_options(
    parser: argparse.ArgumentParser, items: int, views: int
) -> None:
    """`--items`, `--views`, `--seed` and `--image-size` of synthetic data."""
    parser.add_argument("--items", type=int, default=items, help="number of products")
    parser.add_argument("--views", type=int, default=views, help="photos per product")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--image-size",
        type=image_size,
        default=(256, 192),
        metavar="HxW",
        help="image size, height x width (default 256x192)",
    )
