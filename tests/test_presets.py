"""Presets: installed, local and remote embedders, the grouper and the CLI."""

import csv
import json
import shutil
import subprocess
import sys
import time
import types
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.cli import main
from keras_patterns.utils.presets import save_preset

NAME = "patterns_synthetic"
# Found from the package's location, not through the code under test.
PACKAGED = Path(kp.__file__).parent / "presets" / NAME
REQUIRED = (
    "name",
    "description",
    "task",
    "class_name",
    "params",
    "patch_size",
    "embedding_dim",
    "trained_on",
    "validation",
    "training",
)


def write_swatches(folder, swatches):
    folder.mkdir()
    for i, patch in enumerate(swatches):
        Image.fromarray(patch).save(folder / f"swatch{i}.png")
    return folder


def fake_module(monkeypatch, name, **functions):
    module = types.ModuleType(name)
    for key, function in functions.items():
        setattr(module, key, function)
    monkeypatch.setitem(sys.modules, name, module)


# === PatternEmbedder ===


def test_installed_preset_is_listed_with_its_metadata():
    presets = kp.models.PatternEmbedder.presets
    assert NAME in presets
    metadata = json.loads((PACKAGED / "metadata.json").read_text())
    assert presets[NAME] == metadata
    assert [key for key in REQUIRED if key not in metadata] == []
    assert metadata["task"] == "embedder"
    assert metadata["class_name"] == "PatternEmbedder"
    validation = metadata["validation"]
    assert {"report_half", "selection_half", "whole_set", "seeds", "data"} <= set(
        validation
    )
    assert {"command", "photo_command", "handcrafted_baseline"} <= set(validation)
    # The report half's figures are the mean over the seeds measured.
    seeds = validation["seeds"]
    assert len(seeds) >= 2 and seeds[0]["seed"] == metadata["training"]["seed"]
    report = validation["report_half"]
    for key, value in (("nmi", "nmi"), ("recall_at_1_across_sources", "recall_at_1")):
        values = [run["real_crops"]["report"][value] for run in seeds]
        assert report[key] == pytest.approx(np.mean(values), abs=1e-3)
        assert report["spread"][key] == pytest.approx(np.ptp(values), abs=1e-3)
    assert {"command", "seed", "seconds", "date", "keras_patterns_version"} <= set(
        metadata["training"]
    )
    assert metadata["recipe"]["steps"] > 0
    # Every real source is named with its version and licence (none today).
    for package, info in metadata["training_sources"].items():
        assert {"version", "licence", "images"} <= set(info), package


def test_from_preset_by_name_equals_the_packaged_file(swatches):
    embedder = kp.models.PatternEmbedder.from_preset(NAME)
    reference = keras.saving.load_model(PACKAGED / "model.keras", safe_mode=True)
    assert isinstance(embedder, kp.models.PatternEmbedder)
    np.testing.assert_allclose(
        embedder.embed(swatches), reference.embed(swatches), atol=1e-6
    )
    metadata = json.loads((PACKAGED / "metadata.json").read_text())
    assert embedder.count_params() == metadata["params"]
    assert embedder.embedding_dim == metadata["embedding_dim"]
    assert isinstance(metadata["patch_size"], int) and metadata["patch_size"] >= 32


def test_the_installed_preset_is_trained():
    """Textures it never saw: their nearest neighbour shares their family.

    Chance is one in ten (an untrained embedder scores about that); the
    shipped preset scores 0.71 on these 100 textures.
    """
    embedder = kp.models.PatternEmbedder.from_preset(NAME)
    data = kp.datasets.make_texture_patches(100, (64, 64), seed=12345)
    vectors = embedder.embed(data["images"])
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = data["family"][similarity.argmax(1)]
    assert np.mean(nearest == data["family"]) > 0.5


def test_save_to_preset_round_trip(tmp_path, tiny_embedder, swatches):
    directory = tiny_embedder.save_to_preset(
        tmp_path / "mine", description="a test", patch_size=48, trained_on="nothing"
    )
    assert sorted(p.name for p in directory.iterdir()) == [
        "metadata.json",
        "model.keras",
    ]  # no temporary file left behind
    metadata = json.loads((directory / "metadata.json").read_text())
    assert metadata == {
        "name": "mine",
        "description": "a test",
        "task": "embedder",
        "class_name": "PatternEmbedder",
        "params": tiny_embedder.count_params(),
        "patch_size": 48,
        "embedding_dim": 8,
        "trained_on": "nothing",
    }
    expected = tiny_embedder.embed(swatches)
    for preset in (directory, str(directory)):
        loaded = kp.models.PatternEmbedder.from_preset(preset)
        np.testing.assert_allclose(loaded.embed(swatches), expected, atol=1e-6)


def test_a_folder_with_only_model_keras_loads(tmp_path, tiny_embedder, swatches):
    (tmp_path / "bare").mkdir()
    tiny_embedder.save(tmp_path / "bare" / "model.keras")
    loaded = kp.models.PatternEmbedder.from_preset(tmp_path / "bare")
    np.testing.assert_allclose(
        loaded.embed(swatches), tiny_embedder.embed(swatches), atol=1e-6
    )


def test_save_preset_checks_the_metadata_before_writing(tmp_path, tiny_embedder):
    with pytest.raises(ValueError, match="metadata"):
        save_preset(
            tiny_embedder, tmp_path / "nan", {"validation": {"nmi": float("nan")}}
        )
    with pytest.raises(ValueError, match="metadata"):
        save_preset(tiny_embedder, tmp_path / "object", {"seed": object()})
    assert not (tmp_path / "nan").exists() and not (tmp_path / "object").exists()


def test_an_unknown_name_lists_the_presets():
    with pytest.raises(ValueError, match="patterns_synthetic") as error:
        kp.models.PatternEmbedder.from_preset("no_such_preset")
    assert "no_such_preset" in str(error.value)


def test_a_missing_path_is_named(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        kp.models.PatternEmbedder.from_preset(missing)
    with pytest.raises(FileNotFoundError, match="not/there"):
        kp.models.PatternEmbedder.from_preset("not/there")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="model.keras"):
        kp.models.PatternEmbedder.from_preset(tmp_path / "empty")


@pytest.mark.parametrize(
    "handle, package",
    [
        ("hf://someone/patterns", "huggingface_hub"),
        ("kaggle://someone/patterns/keras/synthetic", "kagglehub"),
    ],
)
def test_remote_handles_without_their_client_say_what_to_install(
    monkeypatch, handle, package
):
    monkeypatch.setitem(sys.modules, package, None)  # import fails, no network
    with pytest.raises(ImportError, match=f"pip install {package}"):
        kp.models.PatternEmbedder.from_preset(handle)


@pytest.mark.parametrize(
    "handle",
    ["hf://only-owner", "kaggle://owner/model/variant", "s3://bucket/preset"],
)
def test_malformed_handles(handle):
    with pytest.raises(ValueError, match="preset"):
        kp.models.PatternEmbedder.from_preset(handle)


def test_remote_handles_load_what_the_hub_client_downloads(
    monkeypatch, tmp_path, tiny_embedder, swatches
):
    directory = tiny_embedder.save_to_preset(tmp_path / "hub", patch_size=64)
    asked = []

    def snapshot_download(repo_id, **kwargs):
        asked.append(repo_id)
        return str(directory)

    def model_download(handle, path=None):
        asked.append(handle)
        return str(directory)

    fake_module(monkeypatch, "huggingface_hub", snapshot_download=snapshot_download)
    fake_module(monkeypatch, "kagglehub", model_download=model_download)
    expected = tiny_embedder.embed(swatches)
    for handle in ("hf://owner/repo", "kaggle://owner/model/keras/variant/2"):
        loaded = kp.models.PatternEmbedder.from_preset(handle)
        np.testing.assert_allclose(loaded.embed(swatches), expected, atol=1e-6)
    assert asked == ["owner/repo", "owner/model/keras/variant/2"]


# === PatternGrouper ===


def test_grouper_from_preset_is_a_patch_grouper():
    grouper = kp.PatternGrouper.from_preset(NAME, progress=False)
    metadata = json.loads((PACKAGED / "metadata.json").read_text())
    assert grouper.segmenter is None
    assert isinstance(grouper.embedder, kp.models.PatternEmbedder)
    assert grouper.patch_size == metadata["patch_size"]
    assert isinstance(grouper.clusterer, kp.clustering.KMeans)
    assert grouper.clusterer.n_clusters == "auto"
    assert grouper.clusterer.metric == "cosine"
    assert not hasattr(grouper.clusterer, "cluster_centers_")


def test_grouper_overrides(tmp_path, tiny_embedder):
    clusterer = kp.clustering.KMeans(2, metric="cosine")
    grouper = kp.PatternGrouper.from_preset(
        NAME, clusterer=clusterer, flip_views=False, patch_size=96, progress=False
    )
    assert grouper.clusterer is clusterer
    assert (grouper.flip_views, grouper.patch_size) == (False, 96)
    with pytest.raises(ValueError, match="segment_sise"):
        kp.PatternGrouper.from_preset(NAME, segment_sise=(64, 64))
    with pytest.raises(ValueError, match="embedder"):
        kp.PatternGrouper.from_preset(NAME, embedder=tiny_embedder)
    local = tiny_embedder.save_to_preset(tmp_path / "local", patch_size=48)
    assert kp.PatternGrouper.from_preset(local, progress=False).patch_size == 48


def test_grouper_from_preset_groups_swatches(tmp_path, swatches):
    grouper = kp.PatternGrouper.from_preset(NAME, progress=False)
    result = grouper.group(list(swatches))  # fits the clusterer on them first
    assert len(result) == 6 and result.failures == []
    assert all(group >= 0 for group in result.assignments)
    assert 2 <= len(result.groups) <= 5
    files = [str(p) for p in sorted(write_swatches(tmp_path / "s", swatches).iterdir())]
    again = grouper.group(files)  # now assigns to the groups found above
    np.testing.assert_array_equal(again.assignments, result.assignments)


def test_grouper_from_a_saved_grouper(tmp_path, tiny_embedder, swatches):
    grouper = kp.PatternGrouper(
        embedder=tiny_embedder,
        clusterer=kp.clustering.KMeans(2, metric="cosine", random_state=0),
        progress=False,
    ).fit(list(swatches))
    grouper.save(tmp_path / "grouper")
    restored = kp.PatternGrouper.from_preset(
        tmp_path / "grouper", batch_size=4, progress=False
    )
    assert restored.batch_size == 4
    np.testing.assert_array_equal(
        restored.predict(list(swatches)), grouper.predict(list(swatches))
    )


# === Command line ===


def read_groups(out):
    with open(out / "groups.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_cli_groups_swatches_with_a_preset(tmp_path, swatches, capsys):
    folder = write_swatches(tmp_path / "swatches", swatches)
    out = tmp_path / "out"
    argv = ["group", str(folder), "--preset", NAME, "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert len(read_groups(out)) == 6
    assert (out / "groups.json").is_file()
    assert list((out / "contact_sheets").iterdir())
    printed = capsys.readouterr().out
    assert "6 images" in printed
    # The report: one thumbnail per swatch (patch inputs have no photo).
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"report: {(out / 'report.html').as_uri()}" in printed
    assert page.count('src="thumbs/') == 6
    assert len(list((out / "thumbs").iterdir())) == 6
    # Without --preset or --grouper, the same preset is used.
    again = ["group", str(folder), "--out", str(tmp_path / "d"), "--quiet"]
    assert main([*again, "--no-report"]) == 0
    assert read_groups(tmp_path / "d") == read_groups(out)
    assert not (tmp_path / "d" / "report.html").exists()


def test_cli_similar_finds_each_swatch_itself_first(
    tmp_path, tiny_embedder, swatches, capsys
):
    folder = write_swatches(tmp_path / "swatches", swatches)
    grouper = kp.PatternGrouper(
        embedder=tiny_embedder,
        clusterer=kp.clustering.KMeans(2, metric="cosine", random_state=0),
        progress=False,
    )
    grouper.fit(folder).save(tmp_path / "grouper")
    files = sorted(str(p) for p in folder.iterdir())
    out = tmp_path / "similar.csv"
    argv = ["similar", str(folder), "--grouper", str(tmp_path / "grouper")]
    assert main([*argv, "-k", "3", "--out", str(out), "--quiet"]) == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * len(files)
    distances, indices = grouper.similar(files, k=3)
    for query, found, far in zip(files, indices, distances, strict=True):
        mine = [row for row in rows if row["query"] == query]
        assert [row["neighbour"] for row in mine] == [files[i] for i in found]
        assert mine[0]["neighbour"] == query  # itself, at distance 0
        np.testing.assert_allclose([float(r["distance"]) for r in mine], far, atol=1e-5)
    capsys.readouterr()
    assert main([*argv, "-k", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == [
        files[0],
        f"    1  {distances[0, 0]:.6f}  {files[0]}",
        printed[2],
    ]
    assert len(printed) == 3 * len(files)


def test_cli_group_writes_the_embeddings(tmp_path, swatches):
    folder = write_swatches(tmp_path / "swatches", swatches)
    out = tmp_path / "out"
    argv = ["group", str(folder), "--out", str(out), "--quiet"]
    assert main([*argv, "--embeddings", str(out / "e.npy")]) == 0
    embeddings = np.load(out / "e.npy")
    assert embeddings.shape[0] == len(read_groups(out)) == len(swatches)


def test_cli_group_options_clash(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["group", "x", "--out", "o", "--preset", NAME, "--grouper", "g"])
    assert "not allowed with" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # a usage error
        main(["group", str(tmp_path), "--out", "o", "--assign"])
    assert exit_info.value.code == 2
    assert "--assign needs --grouper" in capsys.readouterr().err


def test_cli_lists_the_presets(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert NAME in out and "NMI" in out and "R@1 across sources" in out


# === Packaging ===


@pytest.mark.backend_independent
def test_the_wheel_ships_the_presets(tmp_path):
    """The wheel holds every preset and stays small (built from a copy, so
    the working tree gets no build/ folder)."""
    root = Path(kp.__file__).parents[1]
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, source / name)
    shutil.copytree(
        root / "keras_patterns",
        source / "keras_patterns",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    began = time.perf_counter()
    # With build isolation, as `pip wheel .` builds it: pyproject.toml's own
    # setuptools, not whatever the test environment holds.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps"]
        + ["-q", "-w", str(tmp_path / "dist")],
        check=True,
        capture_output=True,
    )
    print(f"wheel built in {time.perf_counter() - began:.1f} s")
    (wheel,) = (tmp_path / "dist").glob("keras_patterns-*.whl")
    assert wheel.stat().st_size < 40 * 2**20
    names = set(zipfile.ZipFile(wheel).namelist())
    for preset in (root / "keras_patterns" / "presets").iterdir():
        # Every file of every preset (a grouper preset is its metadata.json).
        files = sorted(path.name for path in preset.iterdir())
        assert "metadata.json" in files
        for file in files:
            assert f"keras_patterns/presets/{preset.name}/{file}" in names


def test_save_preset_leaves_the_optimizer_out(tmp_path):
    # A compiled, trained model: the preset holds its weights, not Adam's.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    model.fit(x, x[:, :2], epochs=1, verbose=0)
    folder = save_preset(model, tmp_path / "trained", {"task": "demo"})
    loaded = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    assert getattr(loaded, "optimizer", None) is None
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    with (
        zipfile.ZipFile(folder / "model.keras") as archive,
        archive.open("model.weights.h5") as weights,
    ):
        assert b"optimizer" not in weights.read()
