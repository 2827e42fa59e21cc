"""Exit codes and error messages of the `keras-patterns` command."""

import sys

import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.cli import main


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
