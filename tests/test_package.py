"""The package surface: namespaces, old import paths, console command."""

import subprocess
import sys
import warnings
from pathlib import Path

import keras
import pytest

import keras_patterns as kp
from keras_patterns.cli import build_parser
from keras_patterns.cli import main

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


COMMANDS = (
    "demo",
    "group",
    "similar",
    "synthetic",
    "prepare-inshop",
    "convert-esrgan",
    "contact-sheet",
    "export",
    "presets",
)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: keras-patterns" in out
    if command is None:
        for sub in COMMANDS:
            assert sub in out


def test_cli_errors_are_clear(tmp_path, capsys):
    assert (
        main(["prepare-inshop", str(tmp_path / "missing"), str(tmp_path / "out")]) == 1
    )
    assert "source" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["synthetic", "x", "--image-size", "big"])


@pytest.mark.backend_independent
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


# Names whose module moved in the restructuring, at the paths the README,
# the docs and the examples used before it: every one still imports there.
MOVED_NAMES = [
    ("keras_patterns.segmentation", "BackbonePreprocessing"),
    ("keras_patterns.segmentation", "BilinearUpsampling"),
    ("keras_patterns.segmentation", "dilated_clone"),
    ("keras_patterns.segmentation", "mean_iou_metric"),
    ("keras_patterns.segmentation", "MaskedSparseCategoricalCrossentropy"),
    ("keras_patterns.enhancement", "NearestUpsampling"),
    ("keras_patterns.layers", "BicubicUpsampling"),
    ("keras_patterns.metrics", "mean_iou_metric"),
    ("keras_patterns.datasets", "PKSampler"),
    ("keras_patterns.datasets", "PrepareSummary"),
    ("keras_patterns.datasets", "IGNORE_LABEL"),
    ("keras_patterns.datasets", "NINE_CLASSES"),
    ("keras_patterns.utils.polyphase", "upsample"),
    ("keras_patterns.utils.io", "read_image"),
    ("keras_patterns.utils.io", "ImageReadError"),
]
MOVED_MODULES = {
    "keras_patterns.grouping.recipes": [
        "train_segmenter",
        "train_enhancer",
        "train_embedder",
        "train_embedder_on_patches",
        "segmenter_miou",
        "enhancer_psnr",
        "median_frequency_weights",
        "garment_patches",
    ],
    "keras_patterns.grouping.demo": ["run_demo", "SEGMENT_SIZE"],
}


@pytest.mark.parametrize("module, name", MOVED_NAMES)
def test_moved_names_import_from_their_old_place(module, name):
    import importlib
    import warnings

    with warnings.catch_warnings():  # some are deprecated since 0.2.0
        warnings.simplefilter("ignore", DeprecationWarning)
        assert getattr(importlib.import_module(module), name) is not None


# The namespaces whose `__all__` is the public API, one path per name.
PUBLIC_NAMESPACES = (
    "keras_patterns",
    "keras_patterns.layers",
    "keras_patterns.models",
    "keras_patterns.losses",
    "keras_patterns.metrics",
    "keras_patterns.clustering",
    "keras_patterns.datasets",
    "keras_patterns.embedding",
    "keras_patterns.enhancement",
    "keras_patterns.grouping",
    "keras_patterns.modeling",
    "keras_patterns.patches",
    "keras_patterns.segmentation",
)
# Paths that 0.2.0 deprecated, with the one public path each name kept.
DEPRECATED = {
    "keras_patterns.segmentation": {
        "AtrousSpatialPyramidPooling": "keras_patterns.layers",
        "BackbonePreprocessing": "keras_patterns.layers",
        "BilinearUpsampling": "keras_patterns.layers",
        "CropToReference": "keras_patterns.layers",
        "PadToMultiple": "keras_patterns.layers",
        "DeepLabV3Plus": "keras_patterns.models",
        "MaskedSparseCategoricalCrossentropy": "keras_patterns.losses",
        "mean_iou_metric": "keras_patterns.metrics",
        "dilated_clone": "keras_patterns.modeling",
    },
    "keras_patterns.embedding": {
        "GeneralizedMeanPooling": "keras_patterns.layers",
        "ImageRangeScaling": "keras_patterns.layers",
        "L2Normalize": "keras_patterns.layers",
        "TokenPooling": "keras_patterns.layers",
        "PatternEmbedder": "keras_patterns.models",
        "SiameseModel": "keras_patterns.models",
        "TripletBatchAllLoss": "keras_patterns.losses",
        "TripletHardLoss": "keras_patterns.losses",
        "TripletLoss": "keras_patterns.losses",
        "TripletSemiHardLoss": "keras_patterns.losses",
        "RecallAtK": "keras_patterns.metrics",
        "TripletStatistic": "keras_patterns.metrics",
        "evaluate_retrieval": "keras_patterns.metrics",
    },
    "keras_patterns.enhancement": {
        "NearestUpsampling": "keras_patterns.layers",
        "PixelUnshuffle": "keras_patterns.layers",
        "RRDB": "keras_patterns.layers",
        "ResidualDenseBlock": "keras_patterns.layers",
        "ESRGAN": "keras_patterns.models",
        "RRDBNet": "keras_patterns.models",
        "VGGStyleDiscriminator": "keras_patterns.models",
        "PerceptualLoss": "keras_patterns.losses",
        "RelativisticAverageLoss": "keras_patterns.losses",
    },
    "keras_patterns.modeling": {
        "BackbonePreprocessing": "keras_patterns.layers",
        "BicubicUpsampling": "keras_patterns.layers",
        "BilinearUpsampling": "keras_patterns.layers",
        "NearestUpsampling": "keras_patterns.layers",
    },
    "keras_patterns.grouping": {
        "GroupingResult": "keras_patterns",
        "PatternGrouper": "keras_patterns",
    },
}


def test_renamed_recipe_names_warn_and_give_the_new_ones():
    from keras_patterns.apps import recipes

    with pytest.warns(DeprecationWarning, match="inshop_class_weights"):
        assert recipes.median_frequency_weights is recipes.inshop_class_weights
    with pytest.warns(DeprecationWarning, match="keras_patterns.embedding"):
        trainer = recipes.train_embedder_on_patches
    assert trainer is kp.embedding.train_embedder_on_patches


def test_every_public_name_has_one_path():
    import importlib
    import inspect

    paths = {}
    for namespace in PUBLIC_NAMESPACES:
        module = importlib.import_module(namespace)
        for name in module.__all__:
            value = getattr(module, name)
            if not inspect.ismodule(value):
                paths.setdefault((id(value), name), []).append(namespace)
    assert len(paths) > 90
    assert {k[1]: v for k, v in paths.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    "old, name",
    [(old, name) for old, names in DEPRECATED.items() for name in names],
)
def test_deprecated_paths_warn_and_give_the_public_object(old, name):
    import importlib

    new = DEPRECATED[old][name]
    with pytest.warns(DeprecationWarning, match=f"{old}.{name} moved to {new}.{name}"):
        value = getattr(importlib.import_module(old), name)
    assert value is getattr(importlib.import_module(new), name)
    assert name in importlib.import_module(new).__all__
    assert name not in importlib.import_module(old).__all__


@pytest.mark.parametrize("old", sorted(MOVED_MODULES))
def test_moved_modules_still_work_with_a_deprecation_warning(old):
    import importlib

    new = importlib.import_module(old.replace("grouping", "apps"))
    module = importlib.import_module(old)
    parent, _, leaf = old.rpartition(".")
    assert getattr(importlib.import_module(parent), leaf) is module
    for name in MOVED_MODULES[old]:
        with pytest.warns(DeprecationWarning, match=f"{old} moved to"):
            value = getattr(module, name)
        with warnings.catch_warnings():  # a name 0.2.0 renamed warns again
            warnings.simplefilter("ignore", DeprecationWarning)
            assert value is getattr(new, name, value)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_the_old_demo_path_finds_the_catalogue_writer_under_its_new_name():
    from keras_patterns.grouping import demo

    with pytest.warns(DeprecationWarning):
        assert demo.write_catalogue is kp.datasets.write_synthetic_catalogue
