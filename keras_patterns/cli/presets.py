"""`keras-patterns presets`: the installed presets and their figures."""

import argparse
from collections.abc import Callable
from typing import Any


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the `presets` subcommand through `add` (the subparsers' `add_parser`)."""
    presets = add(
        "presets",
        help="list the installed presets",
        description="List the presets installed with keras-patterns: model, "
        "description, training data and validation figures (NMI and R@1 across "
        "sources on real pattern crops).",
    )
    presets.set_defaults(run=run)


def _figure(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-" if value is None else str(value)
    return f"{value:.3f}"


def run(args: argparse.Namespace) -> int:
    """Prints each installed preset."""
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
