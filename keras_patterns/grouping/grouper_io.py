"""Saving and loading a fitted `PatternGrouper`: models, clusterer, config."""

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.utils.io import NpyWriter
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.io import read_json
from keras_patterns.utils.io import save_model_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.presets import preset_metadata
from keras_patterns.utils.presets import resolve_preset
from keras_patterns.utils.typing import PathLike

if TYPE_CHECKING:
    from keras_patterns.grouping.pattern_grouper import PatternGrouper

COMPONENTS = ("segmenter", "enhancer", "embedder")
# The fitted inputs' embeddings, searched by `PatternGrouper.similar`.
CATALOGUE = "catalogue"
FORMAT_VERSION = 1
# Constructor arguments saved in config.json.
SETTINGS = (  # noqa: SIM905 (a list literal would take 12 lines)
    "patch_size enhance_below segment_size classes label_names min_patch margin "
    "patch_shape patches_per_item garment_prior flip_views batch_size embedder_steps"
).split()


def _plain(values):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _config(grouper):
    return {
        "format": FORMAT_VERSION,
        **_plain({name: getattr(grouper, name) for name in SETTINGS}),
        "components": {
            name: f"{name}.keras" if getattr(grouper, name) is not None else None
            for name in COMPONENTS
        },
        "clusterer": {
            "params": _plain(grouper.clusterer.get_params()),
            "n_clusters_": int(grouper.clusterer.n_clusters_),
        },
    }


def save_grouper(grouper: "PatternGrouper", directory: PathLike) -> Path:
    """Writes `grouper`'s models, clusterer and config, each file atomically.

    Args:
        grouper: a fitted `PatternGrouper` whose clusterer is a
            `keras_patterns.clustering.KMeans`.
        directory: the folder to write, created if missing.

    Returns:
        `directory`, as a `Path`.
    """
    if not isinstance(grouper.clusterer, KMeans) or not hasattr(
        grouper.clusterer, "cluster_centers_"
    ):
        raise ValueError(
            "save() needs a fitted keras_patterns.clustering.KMeans clusterer."
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in COMPONENTS:
        model = getattr(grouper, name)
        if model is not None:
            save_model_atomic(model, directory / f"{name}.keras")
    with atomic_path(directory / "clusterer.npz") as tmp, open(tmp, "wb") as f:
        np.savez(f, cluster_centers=grouper.clusterer.cluster_centers_)
    embeddings = getattr(grouper, "catalogue_embeddings_", None)
    if embeddings is not None:
        with NpyWriter(directory / f"{CATALOGUE}_embeddings.npy") as writer:
            for start in range(0, len(embeddings), 65536):
                writer.append(embeddings[start : start + 65536])
        with atomic_path(directory / f"{CATALOGUE}.npz") as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                index=grouper.catalogue_index_,
                sources=np.asarray(grouper.catalogue_sources_, dtype=np.str_),
            )
    write_text_atomic(directory / "config.json", json.dumps(_config(grouper), indent=1))
    return directory


def load_catalogue(directory: PathLike) -> dict[str, Any]:
    """The `similar()` catalogue saved beside a grouper, if there is one.

    The embeddings are memory-mapped, not read; nothing is unpickled.

    Args:
        directory: a folder written by `save_grouper`.

    Returns:
        The grouper's `catalogue_embeddings_`, `catalogue_index_` and
        `catalogue_sources_`, or `{}` for a grouper saved without them.
    """
    directory = Path(directory)
    path = directory / f"{CATALOGUE}.npz"
    if not path.is_file():
        return {}
    vectors = directory / f"{CATALOGUE}_embeddings.npy"
    try:
        with np.load(path, allow_pickle=False) as data:
            index, sources = data["index"], data["sources"].tolist()
        embeddings = np.load(vectors, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(
            f"{path} and {vectors.name} are not a catalogue written by "
            f"PatternGrouper.save: {error}"
        ) from None
    if not len(index) == len(sources) == len(embeddings):
        raise ValueError(
            f"{path} lists {len(index)} products but {vectors} holds "
            f"{len(embeddings)} embeddings"
        )
    return {
        "catalogue_embeddings_": embeddings,
        "catalogue_index_": index,
        "catalogue_sources_": sources,
    }


def _bad_config(file, problem):
    return ValueError(
        f"{file} is not a config written by PatternGrouper.save: {problem}"
    )


def _entry(config, file, key, kind, where="config.json"):
    """`config[key]`, which must be a `kind`; errors name the file and the key."""
    if key not in config:
        raise _bad_config(file, f"{where} has no key {key!r}")
    if not isinstance(config[key], kind):
        raise _bad_config(
            file,
            f"{key!r} must be a {kind.__name__}. Received: {key}={config[key]!r}",
        )
    return config[key]


def _read_config(directory):
    """config.json, checked for the keys `load_grouper_parts` reads."""
    file = directory / "config.json"
    if not file.is_file():
        raise FileNotFoundError(
            f"{directory} holds no config.json written by PatternGrouper.save"
        )
    try:
        config = read_json(file)
    except UnicodeDecodeError as error:  # a ValueError that names no file
        raise _bad_config(file, f"not UTF-8 text ({error})") from None
    if not isinstance(config, dict):
        raise _bad_config(file, f"expected a JSON object. Received: {config!r}")
    components = _entry(config, file, "components", dict)
    unknown = set(components) - set(COMPONENTS)
    if unknown or not all(v is None or isinstance(v, str) for v in components.values()):
        raise _bad_config(
            file,
            f'"components" must map {", ".join(COMPONENTS)} to a file name or '
            f"null. Received: components={components!r}",
        )
    clusterer = _entry(config, file, "clusterer", dict)
    _entry(clusterer, file, "params", dict, where='"clusterer"')
    _entry(clusterer, file, "n_clusters_", int, where='"clusterer"')
    return config


def _load_clusterer(directory, config):
    """The fitted KMeans of clusterer.npz and config.json's "clusterer"."""
    file = directory / "clusterer.npz"
    if not file.is_file():
        raise FileNotFoundError(f"{file} is missing: PatternGrouper.save writes it")
    params = dict(config["clusterer"]["params"])
    if isinstance(params.get("k_range"), list):
        params["k_range"] = tuple(params["k_range"])
    try:
        clusterer = KMeans(**params)
    except TypeError as error:
        raise _bad_config(directory / "config.json", f'"clusterer": {error}') from None
    try:
        with np.load(file, allow_pickle=False) as data:
            centers = data["cluster_centers"]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{file} is not a clusterer written by PatternGrouper.save: {error}"
        ) from None
    if centers.ndim != 2 or len(centers) != config["clusterer"]["n_clusters_"]:
        raise ValueError(
            f"{file} must hold {config['clusterer']['n_clusters_']} cluster "
            f"centres (config.json's n_clusters_), a 2-D array. Received: "
            f"cluster_centers of shape {centers.shape}"
        )
    clusterer.cluster_centers_ = centers
    clusterer.n_clusters_ = len(centers)
    clusterer.n_features_in_ = centers.shape[1]
    return clusterer


def load_grouper_parts(directory: PathLike) -> dict[str, Any]:
    """The constructor arguments of a grouper written by `save_grouper`.

    Models are loaded with `safe_mode=True`; the clusterer comes back fitted.

    Args:
        directory: a folder written by `save_grouper`.

    Returns:
        Keyword arguments of `PatternGrouper`: the models, the fitted
        clusterer and the saved settings.

    Raises:
        FileNotFoundError: `config.json`, `clusterer.npz` or a model file
            that config.json names is missing (the message names it).
        ValueError: one of those files is damaged: not JSON, a missing or
            mistyped key, not an `.npz` of cluster centres (the message
            names the file and, for config.json, the key).
    """
    directory = Path(directory)
    config = _read_config(directory)
    models = {}
    for name, file in config["components"].items():
        if file is not None and not (directory / file).is_file():
            raise FileNotFoundError(
                f"{directory / file} is missing: {directory / 'config.json'} "
                f"names it as the {name}"
            )
        models[name] = (
            keras.saving.load_model(directory / file, safe_mode=True) if file else None
        )
    clusterer = _load_clusterer(directory, config)
    # Files written before these settings existed keep their old behaviour.
    config.setdefault("patch_shape", "rectangle")
    config.setdefault("patches_per_item", 1)
    config.setdefault("garment_prior", 0.0)
    config.setdefault("flip_views", False)
    settings = {name: config[name] for name in SETTINGS if name in config}
    return {**models, "clusterer": clusterer, **settings}


def is_saved_grouper(directory: PathLike) -> bool:
    """Whether `directory` holds a grouper written by `save_grouper`.

    Args:
        directory: a folder.

    Returns:
        `True` when it holds the `config.json` and `clusterer.npz` that
        `save_grouper` writes.
    """
    directory = Path(directory)
    return (directory / "config.json").is_file() and (
        directory / "clusterer.npz"
    ).is_file()


def preset_grouper_parts(
    preset: PathLike, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The constructor arguments of a grouper built from a preset.

    An embedder preset (a name, a folder written by `save_to_preset`, or a
    remote handle) gives a grouper over patches: that embedder, no
    segmenter, the preset's `patch_size` and an unfitted cosine
    `KMeans("auto")`. A folder written by `save_grouper` gives the saved
    grouper. `overrides` replace any of these arguments.

    Args:
        preset: an embedder preset, or a folder written by `save_grouper`.
        overrides: `PatternGrouper` arguments that win over the preset's.

    Returns:
        Keyword arguments of `PatternGrouper`.
    """
    directory = resolve_preset(preset)
    if is_saved_grouper(directory):
        return {**load_grouper_parts(directory), **overrides}
    if "embedder" in overrides:
        raise ValueError(
            '"embedder" cannot be overridden: an embedder preset is the embedder. '
            "Use PatternGrouper(embedder=...) to give another one. "
            f"Received: embedder={overrides['embedder']!r}"
        )
    metadata = preset_metadata(directory)
    parts = {
        "embedder": PatternEmbedder.from_preset(directory),
        "clusterer": KMeans("auto", metric="cosine", random_state=0),
    }
    if metadata.get("patch_size") is not None:
        parts["patch_size"] = metadata["patch_size"]
    return {**parts, **overrides}
