"""A saved grouper's files: its models, its clusterer and `config.json`.

`write_grouper` writes them and `read_grouper` reads them back as the
grouper's constructor arguments, checking each file and naming it (and the
key) when one is missing or damaged; `preset_grouper_parts` does the same
for an embedder preset. The catalogue beside them is `Catalogue`'s.
"""

import inspect
import json
import zipfile
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import TypeVar

import keras
import numpy as np

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.grouping.catalogue import Catalogue
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.io import read_json
from keras_patterns.utils.io import save_model_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.presets import preset_metadata
from keras_patterns.utils.presets import resolve_preset
from keras_patterns.utils.typing import PathLike

COMPONENTS = ("segmenter", "enhancer", "embedder")
# What a grouper preset's metadata.json says in "task": it holds no model,
# but names the presets of its components and the grouper's settings.
GROUPER_TASK = "grouper"

# The class of each component, whose `from_preset` reads its preset.
COMPONENT_CLASSES = {
    "segmenter": DeepLabV3Plus,
    "enhancer": RRDBNet,
    "embedder": PatternEmbedder,
}
FORMAT_VERSION = 1
# Constructor arguments saved in config.json.
SETTINGS = (  # noqa: SIM905 (a list literal would take 14 lines)
    "patch_size patch_scale enhance_below segment_size classes label_names "
    "min_patch margin patch_shape patches_per_item garment_choice garment_probe "
    "garment_prior garment_prior_below frame_scale texture_squares small_patch "
    "flip_views batch_size embedder_steps"
).split()


def _plain(values):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def write_grouper(
    directory: PathLike,
    settings: Mapping[str, Any],
    models: Mapping[str, keras.Model | None],
    clusterer: KMeans,
    catalogue: Catalogue | None = None,
) -> Path:
    """Writes a grouper's models, fitted clusterer and config, each atomically.

    `config.json` is written last: a folder with a new config has the rest.

    Args:
        directory: the folder to write, created if missing.
        settings: the grouper's settings, written to `config.json` (one
            key each, as `SETTINGS` lists them).
        models: the `segmenter`, `enhancer` and `embedder`, `None` where
            the grouper has none.
        clusterer: a fitted `keras_patterns.clustering.KMeans`.
        catalogue: the `Catalogue` of `similar`, or `None`.

    Returns:
        `directory`, as a `Path`.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if catalogue is not None:
        catalogue.save(directory)
    for name in COMPONENTS:
        if models.get(name) is not None:
            save_model_atomic(models[name], directory / f"{name}.keras")
    with atomic_path(directory / "clusterer.npz") as tmp, open(tmp, "wb") as f:
        np.savez(f, cluster_centers=clusterer.cluster_centers_)
    config = {
        "format": FORMAT_VERSION,
        **_plain({name: settings[name] for name in SETTINGS}),
        "components": {
            name: f"{name}.keras" if models.get(name) is not None else None
            for name in COMPONENTS
        },
        "clusterer": {
            "params": _plain(clusterer.get_params()),
            "n_clusters_": int(clusterer.n_clusters_),
        },
    }
    write_text_atomic(directory / "config.json", json.dumps(config, indent=1))
    return directory


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
    """config.json, checked for the keys `read_grouper` reads."""
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


def read_grouper(directory: PathLike) -> dict[str, Any]:
    """The constructor arguments of a grouper written by `write_grouper`.

    Models are loaded with `safe_mode=True`; the clusterer comes back fitted.

    Args:
        directory: a folder written by `write_grouper`.

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
    config.setdefault("patch_scale", None)
    config.setdefault("garment_choice", "largest")
    settings = {name: config[name] for name in SETTINGS if name in config}
    return {**models, "clusterer": clusterer, **settings}


def is_saved_grouper(directory: PathLike) -> bool:
    """Whether `directory` holds a grouper written by `write_grouper`.

    Args:
        directory: a folder.

    Returns:
        `True` when it holds the `config.json` and `clusterer.npz` that
        `write_grouper` writes.
    """
    directory = Path(directory)
    return (directory / "config.json").is_file() and (
        directory / "clusterer.npz"
    ).is_file()


def check_overrides(overrides: Mapping[str, Any], accepted: Iterable[str]) -> None:
    """Raises a `ValueError` naming the overrides that are not arguments.

    Args:
        overrides: what `from_preset` was given.
        accepted: the grouper's constructor arguments.
    """
    accepted = list(accepted)
    unknown = sorted(set(overrides) - set(accepted))
    if unknown:
        raise ValueError(
            f"The overrides must be PatternGrouper arguments ({', '.join(accepted)}"
            f"). Received: {', '.join(unknown)}"
        )


def _component(name, reference, directory):
    """A grouper preset's component: a preset name, or a folder beside it."""
    if reference is None:
        return None
    local = Path(directory) / str(reference)
    where = local if local.is_dir() else reference
    return COMPONENT_CLASSES[name].from_preset(where)


def _grouper_preset_parts(directory, metadata):
    """The arguments a grouper preset's metadata names (see `GROUPER_TASK`)."""
    file = Path(directory) / "metadata.json"
    components = _entry(metadata, file, "components", dict, where="metadata.json")
    unknown = set(components) - set(COMPONENTS)
    if unknown or "embedder" not in components:
        raise _bad_config(
            file,
            f'"components" must name an embedder, and may name a segmenter and '
            f"an enhancer. Received: components={components!r}",
        )
    parts = {
        name: _component(name, reference, directory)
        for name, reference in components.items()
    }
    settings = metadata.get("settings", {})
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise _bad_config(file, f'"settings" holds unknown settings: {unknown}')
    return {
        **parts,
        **settings,
        "clusterer": KMeans("auto", metric="cosine", random_state=0),
    }


def preset_grouper_parts(
    preset: PathLike, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The constructor arguments of a grouper built from a preset.

    Three kinds of preset give a grouper:

    * an embedder preset (a name, a folder written by `save_to_preset`, or
      a remote handle): a grouper over patches, with that embedder, no
      segmenter, the preset's `patch_size` (and `patch_scale`) and an
      unfitted cosine `KMeans("auto")`;
    * a grouper preset (`metadata.json` with `task` `"grouper"`): the
      segmenter, embedder and enhancer presets it names, its settings and
      an unfitted cosine `KMeans("auto")`;
    * a folder written by `write_grouper`: the saved grouper, fitted.

    `overrides` replace any of these arguments.

    Args:
        preset: a preset, or a folder written by `write_grouper`.
        overrides: `PatternGrouper` arguments that win over the preset's.

    Returns:
        Keyword arguments of `PatternGrouper`.
    """
    directory = resolve_preset(preset)
    if is_saved_grouper(directory):
        return {**read_grouper(directory), **overrides}
    metadata = preset_metadata(directory)
    if metadata.get("task") == GROUPER_TASK:
        return {**_grouper_preset_parts(directory, metadata), **overrides}
    if "embedder" in overrides:
        raise ValueError(
            '"embedder" cannot be overridden: an embedder preset is the embedder. '
            "Use PatternGrouper(embedder=...) to give another one. "
            f"Received: embedder={overrides['embedder']!r}"
        )
    parts = {
        "embedder": PatternEmbedder.from_preset(directory),
        "clusterer": KMeans("auto", metric="cosine", random_state=0),
    }
    for setting in ("patch_size", "patch_scale"):  # how the embedder was trained
        if metadata.get(setting) is not None:
            parts[setting] = metadata[setting]
    return {**parts, **overrides}


G = TypeVar("G", bound="GrouperFiles")


class GrouperFiles:
    """`save`, `load` and `from_preset` of `PatternGrouper`.

    What a grouper writes and reads, kept beside the functions that do it:
    its models, fitted clusterer and settings (`get_config`) through
    `write_grouper` and `read_grouper`, and its `Catalogue`.
    """

    def save(self, directory: PathLike) -> Path:
        """Saves the models (`.keras`), the clusterer and a JSON config.

        Every file is written atomically; `PatternGrouper.load(directory)`
        reads them back. The clusterer must be a fitted
        `keras_patterns.clustering.KMeans`.

        Args:
            directory: the folder to write, created if missing.

        Returns:
            `directory`, as a `Path`.
        """
        if not isinstance(self.clusterer, KMeans) or not self.is_fitted:
            raise ValueError(
                "save() needs a fitted keras_patterns.clustering.KMeans clusterer."
            )
        models = {name: getattr(self, name) for name in COMPONENTS}
        return write_grouper(
            directory, self.get_config(), models, self.clusterer, self.catalogue
        )

    @classmethod
    def load(
        cls: type[G], directory: PathLike, progress: bool = True, **overrides: Any
    ) -> G:
        """Loads a grouper written by `save` (models with `safe_mode=True`).

        Args:
            directory: a folder written by `save`.
            progress: show progress bars.
            **overrides: `PatternGrouper` arguments replacing the saved ones
                (`clusterer=KMeans(6, metric="cosine")` to find new groups
                with the saved models, `batch_size=8`...).

        Returns:
            The grouper, fitted (its clusterer holds the saved groups)
            unless `overrides` give it another clusterer.
        """
        check_overrides(overrides, inspect.signature(cls).parameters)
        parts = {**read_grouper(directory), "progress": progress, **overrides}
        return cls(**parts)._with_catalogue(directory)

    @classmethod
    def from_preset(cls: type[G], preset: PathLike, **overrides: Any) -> G:
        """A grouper from an embedder preset, or a grouper saved by `save`.

        An embedder preset (see `PatternEmbedder.from_preset`: an installed
        name such as `"patterns_synthetic"`, a folder written by
        `save_to_preset`, an `hf://` or `kaggle://` handle) gives a grouper
        of patches or swatches, ready without training: the preset's
        embedder, no segmenter (each input is one patch), the `patch_size`
        the embedder was trained at and an unfitted
        `KMeans("auto", metric="cosine")`, which `group` fits on its
        inputs. A folder written by `save` gives that grouper, fitted.

        Args:
            preset: an embedder preset, or a folder written by `save`.
            **overrides: `PatternGrouper` arguments replacing the preset's
                (`clusterer=KMeans(6, metric="cosine")`, `flip_views=False`,
                `progress=False`...); `embedder` only for a saved grouper.

        Returns:
            The grouper.

        Example:

        >>> import keras_patterns as kp
        >>> patches = kp.datasets.make_pattern_patches(6, (64, 64))["images"]
        >>> grouper = kp.PatternGrouper.from_preset("patterns_synthetic",
        ...                                         progress=False)
        >>> result = grouper.group(list(patches))
        >>> len(result), result.failures
        (6, [])
        """
        check_overrides(overrides, inspect.signature(cls).parameters)
        grouper = cls(**preset_grouper_parts(preset, overrides))
        return grouper._with_catalogue(resolve_preset(preset))

    def _with_catalogue(self, directory):
        """`self`, with the catalogue saved in `directory` if it has one."""
        if is_saved_grouper(directory):
            metric = getattr(self.clusterer, "metric", "euclidean")
            self.catalogue = Catalogue.load(directory, metric)
        return self
