"""Damaged grouper and preset folders: errors that name the file at fault."""

import json
import shutil

import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.utils.presets import resolve_preset


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted grouper saved once; each test damages its own copy."""
    patches = kp.datasets.make_pattern_patches(6, (64, 64))["images"]
    grouper = kp.PatternGrouper.from_preset(
        "patterns_synthetic", progress=False, flip_views=False
    )
    grouper.fit(patches)
    return grouper.save(tmp_path_factory.mktemp("saved") / "grouper")


@pytest.fixture
def folder(saved, tmp_path):
    return shutil.copytree(saved, tmp_path / "grouper")


def _edit_config(folder, edit):
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))


def test_the_saved_grouper_loads(folder):
    assert kp.PatternGrouper.load(folder, progress=False).clusterer.n_clusters_ >= 1


@pytest.mark.parametrize("text", ['{"format": 1,', "[1, 2]", "\xff\xfe"])
def test_corrupt_config_names_the_file(folder, text):
    (folder / "config.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=r"config\.json") as error:
        kp.PatternGrouper.load(folder, progress=False)
    assert str(folder) in str(error.value)


@pytest.mark.parametrize(
    "key", ["components", "clusterer", "clusterer.params", "clusterer.n_clusters_"]
)
def test_config_missing_a_key_names_the_file_and_the_key(folder, key):
    def drop(config):
        *parents, last = key.split(".")
        for parent in parents:
            config = config[parent]
        del config[last]

    _edit_config(folder, drop)
    with pytest.raises(ValueError, match=r"config\.json") as error:
        kp.PatternGrouper.load(folder, progress=False)
    assert repr(key.split(".")[-1]) in str(error.value) or key in str(error.value)


def test_config_with_a_wrong_type_names_the_file(folder):
    _edit_config(folder, lambda config: config.update(components=["embedder"]))
    with pytest.raises(ValueError, match=r"config\.json.*components"):
        kp.PatternGrouper.load(folder, progress=False)


def test_missing_model_file_is_named(folder):
    (folder / "embedder.keras").unlink()
    with pytest.raises(FileNotFoundError, match=r"embedder\.keras"):
        kp.PatternGrouper.load(folder, progress=False)


def test_corrupt_model_file_is_named(folder):
    (folder / "embedder.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"embedder\.keras"):
        kp.PatternGrouper.load(folder, progress=False)


@pytest.mark.parametrize("content", [b"not an npz", b""])
def test_corrupt_clusterer_is_named(folder, content):
    (folder / "clusterer.npz").write_bytes(content)
    with pytest.raises(ValueError, match=r"clusterer\.npz"):
        kp.PatternGrouper.load(folder, progress=False)


def test_clusterer_without_centres_is_named(folder):
    with open(folder / "clusterer.npz", "wb") as f:
        np.savez(f, other=np.zeros(3))
    with pytest.raises(ValueError, match=r"clusterer\.npz.*cluster_centers"):
        kp.PatternGrouper.load(folder, progress=False)


@pytest.fixture
def preset(tmp_path):
    return shutil.copytree(resolve_preset("patterns_synthetic"), tmp_path / "preset")


@pytest.mark.parametrize("text", ['{"name": ', "\xff\xfe"])
def test_corrupt_preset_metadata_names_the_file(preset, text):
    (preset / "metadata.json").write_bytes(text.encode("latin-1"))
    for load in (kp.PatternGrouper.from_preset, kp.models.PatternEmbedder.from_preset):
        with pytest.raises(ValueError, match=r"metadata\.json") as error:
            load(preset)
        assert str(preset) in str(error.value)


def test_preset_metadata_that_is_not_an_object_names_the_file(preset):
    (preset / "metadata.json").write_text("[]")
    with pytest.raises(ValueError, match=r"metadata\.json must hold a JSON object"):
        kp.PatternGrouper.from_preset(preset)
