"""Exit codes and error messages of the `keras-patterns` command."""

import sys

import keras
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.cli import main

JAX = keras.backend.backend() == "jax"


def run(argv, capsys):
    """`main(argv)`: the exit status (argparse's too) and stderr."""
    try:
        status = main(argv)
    except SystemExit as exit_info:
        status = exit_info.code
    return status, capsys.readouterr().err


@pytest.fixture(scope="module")
def swatches(tmp_path_factory):
    """Two good swatches and one broken file."""
    folder = tmp_path_factory.mktemp("swatches")
    for i, image in enumerate(kp.datasets.make_pattern_patches(2, (64, 64))["images"]):
        Image.fromarray(image).save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


@pytest.mark.parametrize(
    "argv, message",
    [
        (["group", "x", "--out", "o", "--no-such-option"], "unrecognized arguments"),
        (["group", "x", "--out", "o", "--clusters", "many"], "--clusters"),
        (["group", "x", "--out", "o", "--clusters", "0"], "--clusters"),
        (["similar", "x", "--grouper", "g", "-k", "0"], "-k"),
        (["group", "missing", "--out", "o", "--assign"], "--assign needs --grouper"),
        (["group", "missing", "--out", "o", "--assign", "--verbose"], "--assign"),
        (["export", "g", "o", "--format", "pb"], "--format"),
        (["export", "g", "o", "--tolerance", "0"], "--tolerance"),
        (["export", "g"], "OUT"),
    ],
)
def test_usage_errors_exit_2_before_any_work(argv, message, capsys):
    status, err = run(argv, capsys)
    assert status == 2
    assert message in err and "usage: keras-patterns" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, named",
    [
        (["group", "{tmp}/missing", "--out", "{tmp}/o", "--quiet"], "missing"),
        (["group", "{tmp}", "--out", "{tmp}/o", "--grouper", "{tmp}/g"], "config.json"),
        (["similar", "{tmp}", "--grouper", "{tmp}/g", "--quiet"], "config.json"),
        (["prepare-inshop", "{tmp}/missing", "{tmp}/o", "--quiet"], "missing"),
        (["synthetic", "{tmp}/file", "--items", "1"], "file"),
        (["contact-sheet", "{tmp}/missing", "{tmp}/s.png"], "missing"),
        (["export", "{tmp}/missing", "{tmp}/o"], "missing"),
        (["export", "{tmp}/g", "{tmp}/o", "--format", "litert"], "config.json"),
    ],
)
def test_runtime_failures_exit_1_with_one_line(argv, named, tmp_path, capsys):
    (tmp_path / "g").mkdir()
    (tmp_path / "file").write_text("a file, not a folder")
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    status, err = run(argv, capsys)
    assert status == 1, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"keras-patterns {argv[0]}: error: ")
    assert named in line
    # --verbose, before or after the subcommand, adds the traceback.
    for verbose in (["--verbose", *argv], [*argv, "--verbose"]):
        status, err = run(verbose, capsys)
        assert status == 1
        assert "Traceback (most recent call last)" in err
        assert err.strip().splitlines()[-1] == line


def test_a_missing_optional_dependency_exits_1(tmp_path, monkeypatch, capsys):
    (tmp_path / "in.pth").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    argv = ["convert-esrgan", str(tmp_path / "in.pth"), str(tmp_path / "out.keras")]
    status, err = run(argv, capsys)
    assert status == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("keras-patterns convert-esrgan: error: ")
    assert "PyTorch" in line and "pip install" in line
    status, err = run([*argv, "--verbose"], capsys)
    assert status == 1 and "Traceback" in err


def test_group_counts_failures_and_strict_makes_them_fail(swatches, tmp_path, capsys):
    argv = ["group", str(swatches), "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "3 images: 1 groups, 1 failed" in out
    assert "failed: " + str(swatches / "broken.png") in out
    assert main([*argv, "--out", str(tmp_path / "b"), "--strict"]) == 1
    assert "1 failed" in capsys.readouterr().out
    good = tmp_path / "good"
    good.mkdir()
    for name in ("0.png", "1.png"):
        (good / name).write_bytes((swatches / name).read_bytes())
    strict = ["group", str(good), "--quiet", "--strict", "--out", str(tmp_path / "c")]
    assert main(strict) == 0
    assert "2 images: 1 groups, 0 failed" in capsys.readouterr().out


@pytest.mark.extra("export")
def test_export_writes_files_that_verify(tmp_path, capsys):
    # ONNX where Keras exports it with the "export" extra; SavedModel on JAX.
    fmt, file = ("tf_saved_model", "embedder") if JAX else ("onnx", "embedder.onnx")
    out = tmp_path / "deploy"
    assert (
        main(["export", "patterns_synthetic", str(out), "--format", fmt, "--verify"])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == f"{fmt}: {file} and export.json written to {out}"
    assert (out / file).exists() and (out / "export.json").is_file()
    name, value = lines[1].removeprefix("largest difference from Keras: ").split()
    assert name == "embedder" and 0 <= float(value) < 1e-3


def test_export_verify_fails_above_the_tolerance(tmp_path, monkeypatch, capsys):
    from keras_patterns.apps import export

    # The CLI's decision alone: the export and the measurement are stand-ins.
    monkeypatch.setattr(
        export,
        "export_grouper",
        lambda *args, **kwargs: {"models": {"embedder": {"file": "embedder.onnx"}}},
    )
    monkeypatch.setattr(export, "verify_export", lambda *args: {"embedder": 2e-3})
    argv = ["export", "g", str(tmp_path), "--verify"]
    assert main(argv) == 1
    assert main([*argv, "--tolerance", "1e-2"]) == 0
    assert "embedder 0.002" in capsys.readouterr().out


def test_the_cli_offers_every_export_format():
    from keras_patterns.apps.export import FORMATS
    from keras_patterns.cli import EXPORT_FORMATS

    assert EXPORT_FORMATS == FORMATS


def test_photos_given_to_the_swatch_preset_get_a_note(swatches, tmp_path, capsys):
    from PIL import Image

    import keras_patterns as kp

    photos = tmp_path / "photos"
    photos.mkdir()
    scenes = kp.datasets.make_pattern_garments(3, (128, 96), seed=2)["images"]
    for i, scene in enumerate(scenes):
        Image.fromarray(scene).save(photos / f"{i}.png")
    argv = ["group", "--quiet", "--clusters", "2", "--out"]
    assert main([*argv, str(tmp_path / "a"), str(photos)]) == 0
    err = capsys.readouterr().err
    assert "look like product photos" in err and "--preset product_photos" in err
    assert main([*argv, str(tmp_path / "b"), str(swatches)]) == 0
    assert "product photos" not in capsys.readouterr().err


def test_group_with_the_photo_preset_cuts_the_named_garment(tmp_path, capsys):
    # The shipped photo preset, with no training: every photo is grouped, the
    # patch lies on the garment the CSV names (the drawn masks say where it
    # is), and no swatch note is given.
    import csv

    from keras_patterns.datasets import remap_classes
    from keras_patterns.datasets.synthetic.product_photos import make_product_photos
    from keras_patterns.modeling.labels import PHOTO_CLASSES
    from keras_patterns.modeling.labels import PHOTO_MERGES
    from keras_patterns.modeling.labels import garment_class

    photos = tmp_path / "photos"
    photos.mkdir()
    data = make_product_photos(4, (288, 216), seed=3)
    rows = [("file", "garment")]
    pairs = zip(data["images"], data["garment"], strict=True)
    for i, (photo, garment) in enumerate(pairs):
        Image.fromarray(photo).save(photos / f"{i}.jpg", quality=95)
        rows.append((f"{i}.jpg", str(garment)))
    with open(tmp_path / "garments.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "out"
    argv = ["group", str(photos), "--preset", "product_photos", "--quiet"]
    argv += ["--clusters", "2", "--out", str(out)]
    assert main([*argv, "--garments", str(tmp_path / "garments.csv")]) == 0
    captured = capsys.readouterr()
    assert "4 images: 2 groups, 0 failed" in captured.out
    assert "look like product photos" not in captured.err
    with open(out / "groups.csv", newline="") as f:
        grouped = {row["source"].rsplit("/", 1)[-1]: row for row in csv.DictReader(f)}
    # The named garment's pixels in the drawn masks, in the preset's classes:
    # the patch comes from the named class and lies on that garment.
    truth = remap_classes(data["masks"], PHOTO_CLASSES, merges=PHOTO_MERGES)
    for i, (file, garment) in enumerate(rows[1:]):
        row = grouped[file]
        name = garment_class(garment, PHOTO_CLASSES)
        assert row["class_name"] == name, (file, garment)
        top, left, bottom, right = (
            int(row[k]) for k in ("top", "left", "bottom", "right")
        )
        on = (truth[i] == PHOTO_CLASSES.index(name))[top:bottom, left:right]
        assert on.mean() >= 0.8, (file, garment, on.mean())
