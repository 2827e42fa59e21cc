"""Smoke-tests keras-patterns as a user installs it: from a wheel, in a fresh venv.

CI builds the wheel, installs it (not editable) into a new virtual
environment and runs this script there, from a folder outside the source
tree, so that nothing is imported from the checkout:

    python tools/smoke_test_wheel.py --expect-presets NAME [NAME ...] \\
        --wheel dist/keras_patterns-*.whl --max-wheel-mb 40

It checks that the package imports from site-packages; that every preset
of the source tree is installed with its files (`model.keras` and
`metadata.json`, or a grouper preset's `metadata.json` and the presets it
names) and loads with `from_preset`; that `keras-patterns presets` lists
them; that `keras-patterns group` groups a few synthetic swatches with the
swatch preset and a few synthetic product photos with the photo preset; and
that the wheel is not larger than `--max-wheel-mb`. Any failure exits 1
with one line per problem.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SWATCH_PRESET = "patterns_synthetic"
PHOTO_PRESET = "product_photos"


def preset_problems(presets_dir, expected):
    """What is missing or broken among the installed presets (a list)."""
    problems = []
    for name in expected:
        folder = Path(presets_dir) / name
        metadata_file = folder / "metadata.json"
        if not metadata_file.is_file():
            problems.append(f"preset {name}: no metadata.json in {folder}")
            continue
        metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
        if metadata.get("task") == "grouper":
            for component in (metadata.get("components") or {}).values():
                if component is not None and component not in expected:
                    problems.append(f"preset {name}: names {component}, not installed")
        elif not (folder / "model.keras").is_file():
            problems.append(f"preset {name}: no model.keras in {folder}")
    return problems


def load_problems(expected):
    """Presets that `from_preset` cannot load (a list)."""
    import keras_patterns as kp
    from keras_patterns.utils.presets import list_presets

    classes = {
        "PatternEmbedder": kp.models.PatternEmbedder,
        "DeepLabV3Plus": kp.models.DeepLabV3Plus,
        "RRDBNet": kp.models.RRDBNet,
        "PatternGrouper": kp.PatternGrouper,
    }
    problems = []
    installed = list_presets()
    for name in expected:
        metadata = installed.get(name)
        if metadata is None:
            problems.append(f"preset {name}: not listed by list_presets()")
            continue
        cls = classes.get(metadata.get("class_name"))
        if cls is None:
            problems.append(
                f"preset {name}: unknown class {metadata.get('class_name')}"
            )
            continue
        try:
            cls.from_preset(name)
        except Exception as error:  # report and go on to the next preset
            problems.append(f"preset {name}: {type(error).__name__}: {error}")
    return problems


def command(*args, cwd):
    """`keras-patterns ARGS`: its output, or raises with what it printed."""
    done = subprocess.run(
        ["keras-patterns", *args], capture_output=True, text=True, cwd=cwd
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"keras-patterns {' '.join(args)} exited {done.returncode}: "
            f"{done.stderr.strip().splitlines()[-1:]}"
        )
    return done.stdout


def group_problems(work, expected):
    """Groups synthetic swatches and photos with the CLI (a list of problems)."""
    import numpy as np
    from PIL import Image

    import keras_patterns as kp

    problems = []
    cases = {
        SWATCH_PRESET: kp.datasets.make_pattern_patches(6, (64, 64), seed=1)["images"],
        PHOTO_PRESET: kp.datasets.make_pattern_garments(4, (384, 288), seed=1)[
            "images"
        ],
    }
    for preset, images in cases.items():
        if preset not in expected:
            continue
        folder = Path(work) / preset
        folder.mkdir()
        for i, image in enumerate(np.asarray(images)):
            Image.fromarray(image).save(folder / f"{i}.png")
        out = Path(work) / f"{preset}_out"
        try:
            printed = command(
                "group",
                str(folder),
                "--preset",
                preset,
                "--out",
                str(out),
                "--quiet",
                "--clusters",
                "2",
                cwd=work,
            )
        except RuntimeError as error:
            problems.append(str(error))
            continue
        if (
            f"{len(images)} images:" not in printed
            or not (out / "groups.csv").is_file()
        ):
            problems.append(f"group --preset {preset}: unexpected output {printed!r}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-presets", nargs="+", required=True)
    parser.add_argument("--wheel", help="the wheel file, to check its size")
    parser.add_argument("--max-wheel-mb", type=float, default=40.0)
    args = parser.parse_args()
    import keras_patterns

    package = Path(keras_patterns.__file__).resolve().parent
    problems = []
    if "site-packages" not in str(package):
        problems.append(f"keras_patterns imported from {package}, not site-packages")
    print(f"keras_patterns {keras_patterns.__version__} from {package}")
    problems += preset_problems(package / "presets", args.expect_presets)
    problems += load_problems(args.expect_presets)
    with tempfile.TemporaryDirectory() as work:
        listed = command("presets", cwd=work)
        problems += [
            f"keras-patterns presets does not list {name}"
            for name in args.expect_presets
            if f"{name}:" not in listed
        ]
        problems += group_problems(work, args.expect_presets)
    if args.wheel:
        megabytes = Path(args.wheel).stat().st_size / 1e6
        print(f"wheel: {Path(args.wheel).name}, {megabytes:.1f} MB")
        if megabytes > args.max_wheel_mb:
            problems.append(
                f"the wheel is {megabytes:.1f} MB, over {args.max_wheel_mb}"
            )
    for problem in problems:
        print(f"FAILED: {problem}")
    if problems:
        sys.exit(1)
    print(f"wheel smoke test passed: {len(args.expect_presets)} presets")


if __name__ == "__main__":
    main()
