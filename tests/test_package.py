"""The package surface: namespaces, folder layout, console command."""

import subprocess
import sys
from pathlib import Path

import keras
import pytest

import keras_patterns as kp
from keras_patterns.cli import build_parser
from keras_patterns.cli import main

ROOT = Path(__file__).resolve().parents[1]
API_NAMES = {
    "datasets": [
        "INSHOP_CLASSES",
        "INSHOP_COLORS",
        "CLOTHING_CLASSES",
        "rgb_mask_to_labels",
        "labels_to_rgb",
        "load_inshop",
        "prepare_inshop",
        "segmentation_dataset",
        "triplet_dataset",
        "make_pattern_garments",
        "write_synthetic_inshop",
    ],
    "layers": ["L2Normalize"],
}


def test_version():
    assert kp.__version__.count(".") == 2


@pytest.mark.parametrize("namespace", sorted(API_NAMES))
def test_api_names(namespace):
    module = getattr(kp, namespace)
    for name in API_NAMES[namespace]:
        assert hasattr(module, name), f"kp.{namespace}.{name} is missing"
        assert name in module.__all__


def test_public_namespaces_exist():
    for name in (
        "datasets",
        "layers",
        "models",
        "losses",
        "metrics",
        "patches",
        "enhancement",
        "clustering",
    ):
        assert hasattr(kp, name)


def test_public_keras_classes_are_registered():
    for namespace in (kp.layers, kp.models, kp.losses, kp.metrics):
        for name in namespace.__all__:
            cls = getattr(namespace, name)
            if not isinstance(cls, type):
                continue  # functions such as kp.metrics.psnr
            registered = keras.saving.get_registered_name(cls)
            assert registered == f"keras_patterns>{name}", registered


def test_folder_tree_tells_the_pipeline():
    stages = {
        "datasets",
        "segmentation",
        "patches",
        "enhancement",
        "embedding",
        "clustering",
        "grouping",
        "utils",
    }
    packages = {
        p.name
        for p in (ROOT / "keras_patterns").iterdir()
        if p.is_dir() and not p.name.startswith("__")
    }
    assert packages == stages
    top = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")}
    required = {
        "keras_patterns",
        "examples",
        "docs",
        "tests",
        "benchmarks",
        "pyproject.toml",
        "README.md",
        "LICENSE",
    }
    assert required <= top


def test_every_module_is_short():
    for path in (ROOT / "keras_patterns").rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 420, path


@pytest.mark.parametrize(
    "command",
    [None, "demo", "synthetic", "prepare-inshop", "convert-esrgan", "contact-sheet"],
)
def test_help(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: keras-patterns" in out
    if command is None:
        for sub in (
            "demo",
            "synthetic",
            "prepare-inshop",
            "convert-esrgan",
            "contact-sheet",
        ):
            assert sub in out


def test_cli_errors_are_clear(tmp_path, capsys):
    assert (
        main(["prepare-inshop", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    )
    assert "source" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["synthetic", "x", "--image-size", "big"])


def test_console_script_installed():
    script = Path(sys.executable).parent / "keras-patterns"
    assert script.is_file(), "the keras-patterns entry point is not installed"
    out = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert kp.__version__ in out


def test_synthetic_and_contact_sheet_commands(tmp_path):
    from PIL import Image

    assert (
        main(
            [
                "synthetic",
                str(tmp_path / "inshop"),
                "--items",
                "3",
                "--views",
                "2",
                "--image-size",
                "96x64",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "contact-sheet",
                str(tmp_path / "inshop"),
                str(tmp_path / "s.png"),
                "--n",
                "4",
            ]
        )
        == 0
    )
    sheet = Image.open(tmp_path / "s.png")
    # Four scenes and their masks, 64 pixels wide each, side by side.
    assert sheet.width >= 4 * 64 and sheet.height >= 96
    assert (
        main(
            [
                "synthetic",
                str(tmp_path / "syn"),
                "--items",
                "2",
                "--views",
                "1",
                "--layout",
                "flat",
                "--image-size",
                "48x32",
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "syn/images").glob("*.jpg"))) == 2
