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


def _what(meta: dict[str, Any]) -> str:
    """What a preset is, in a few words."""
    if meta.get("task") == "grouper":
        parts = meta.get("components") or {}
        return ", ".join(f"{k} {v}" for k, v in parts.items() if v is not None)
    params = meta.get("params")
    words = [f"{params:,} parameters"] if isinstance(params, int) else []
    if meta.get("task") == "embedder":
        words.append(f"{meta.get('patch_size', '?')}-pixel patches")
    elif meta.get("task") == "segmenter":
        classes = len(meta.get("label_names") or []) or meta.get("num_classes", "?")
        words.append(f"{classes} classes")
    elif meta.get("task") == "enhancer":
        words.append(f"x{meta.get('scale', '?')}")
    return ", ".join(words)


def _sources(trained_on: Any) -> str:
    """The training data: a sentence, or a list of sources."""
    if isinstance(trained_on, list):
        return "; ".join(
            item.get("what", str(item)) if isinstance(item, dict) else str(item)
            for item in trained_on
        )
    return str(trained_on)


def _validation(validation: dict[str, Any]) -> str:
    """The headline figures: a report half's when there is one."""
    figures = validation.get("report_half", validation)
    spread = figures.get("spread") or {}
    seeds = len(validation.get("seeds") or [])
    parts = []
    for key, label in (
        ("nmi", "NMI"),
        ("recall_at_1_across_sources", "R@1 across sources"),
        ("photo_nmi", "photo NMI"),
        ("on_garment", "patches on the garment"),
        ("psnr_gain_db", "dB over bicubic"),
    ):
        if key in figures:
            part = f"{label} {_figure(figures[key])}"
            if key in spread and seeds > 1:
                part += f" (spread {_figure(spread[key])} over {seeds} seeds)"
            parts.append(part)
    half = "report half: " if "report_half" in validation else ""
    data = validation.get("data")
    return half + ", ".join(parts) + (f" ({data})" if data else "")


def run(args: argparse.Namespace) -> int:
    """Prints each installed preset."""
    from keras_patterns.utils.presets import list_presets

    presets = list_presets()
    if not presets:
        print("no preset installed")
    for name, meta in presets.items():
        print(
            f"{name}: {meta.get('class_name', '?')} ({meta.get('task', '?')}), "
            + _what(meta)
        )
        print(f"  {meta.get('description', '')}")
        trained_on = meta.get("trained_on")
        if trained_on:
            print(f"  trained on: {_sources(trained_on)}")
        validation = meta.get("validation") or {}
        if validation:
            print(f"  validation: {_validation(validation)}")
    return 0
