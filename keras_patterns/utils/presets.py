"""Presets: saved models by name, shipped in the package or fetched from a hub.

A preset is a folder holding `model.keras` and `metadata.json` (what the
model is, what it was trained on, how well it did and how to train it
again), as KerasHub's presets are. `resolve_preset` turns a preset name, a
local folder or a remote handle into a local folder:

* a name such as `"patterns_synthetic"`: a folder of
  `keras_patterns/presets/`, installed with the package;
* a local folder written by `save_preset` (or any folder holding a
  `model.keras`, or a model saved by Keras unzipped: `config.json` and
  `model.weights.h5`);
* `hf://OWNER/REPO` (Hugging Face Hub, through `huggingface_hub` as
  `keras.saving.load_model("hf://...")` does) or
  `kaggle://OWNER/MODEL/keras/VARIATION[/VERSION]` (Kaggle Models, through
  `kagglehub` as KerasHub does): the repository is downloaded into the
  hub's own cache, then read as a local folder.
"""

import importlib
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras

from keras_patterns.utils.io import save_model_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import PathLike

logger = logging.getLogger(__name__)

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"
MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
# The order metadata.json lists its fields in; other fields follow.
METADATA_FIELDS = (
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
HUB_PACKAGES = {"hf": "huggingface_hub", "kaggle": "kagglehub"}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def list_presets(class_name: str | None = None) -> dict[str, dict[str, Any]]:
    """The presets installed with the package: name to metadata, by name.

    Args:
        class_name: keep only the presets of this class (`"PatternEmbedder"`);
            `None` keeps all.

    Returns:
        A dict from preset name to its `metadata.json` content, sorted by name.

    Example:

    >>> from keras_patterns.utils.presets import list_presets
    >>> "patterns_synthetic" in list_presets("PatternEmbedder")
    True
    """
    presets = {}
    for file in sorted(PRESETS_DIR.glob(f"*/{METADATA_FILE}")):
        try:
            metadata = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            logger.warning("Skipping the preset %s: %s", file.parent.name, error)
            continue
        if class_name is None or metadata.get("class_name") == class_name:
            presets[file.parent.name] = metadata
    return presets


class PresetsAttribute:
    """A class attribute listing the installed presets of the class it is on.

    Read each time it is accessed, so a preset written while a program runs
    shows up at once: `keras_patterns.models.PatternEmbedder.presets` is a
    dict from name to metadata (description, parameters, data, validation
    figures, training command).

    Args:
        class_name: the `class_name` the presets' metadata must hold;
            default: the name of the class it is read from (a subclass
            lists its own presets).
    """

    def __init__(self, class_name: str | None = None) -> None:
        self.class_name = class_name

    def __get__(self, instance: object, owner: type) -> dict[str, dict[str, Any]]:
        return list_presets(self.class_name or owner.__name__)


def _unknown_preset(preset):
    names = ", ".join(sorted(list_presets())) or "none installed"
    return ValueError(
        f'"preset" must be the name of an installed preset ({names}), a folder '
        "written by save_to_preset, or an hf://OWNER/REPO or "
        f"kaggle://OWNER/MODEL/keras/VARIATION handle. Received: preset={preset!r}"
    )


def _import_hub(scheme, preset):
    package = HUB_PACKAGES[scheme]
    try:
        return importlib.import_module(package)
    except ImportError as error:
        raise ImportError(
            f"Loading the preset {preset!r} needs the {package} package, which is "
            f"not installed: pip install {package}"
        ) from error


def _download(preset):
    scheme, _, handle = preset.partition("://")
    scheme = scheme.lower()
    if scheme not in HUB_PACKAGES:
        raise ValueError(
            f'"preset" handles must start with hf:// or kaggle://. '
            f"Received: preset={preset!r}"
        )
    segments = [s for s in handle.split("/") if s]
    if scheme == "hf":
        if len(segments) != 2:
            raise ValueError(
                '"preset" must have the form hf://OWNER/REPO for the Hugging Face '
                f"Hub. Received: preset={preset!r}"
            )
        hub = _import_hub(scheme, preset)
        return Path(
            hub.snapshot_download(
                repo_id="/".join(segments), library_name="keras-patterns"
            )
        )
    if len(segments) not in (4, 5):
        raise ValueError(
            '"preset" must have the form kaggle://OWNER/MODEL/FRAMEWORK/VARIATION '
            "(such as kaggle://OWNER/MODEL/keras/VARIATION, or .../VARIATION/VERSION) "
            f"for Kaggle. Received: preset={preset!r}"
        )
    hub = _import_hub(scheme, preset)
    return Path(hub.model_download("/".join(segments)))


def resolve_preset(preset: PathLike) -> Path:
    """The local folder of a preset: installed, local or downloaded.

    A name of an installed preset comes first; then an existing folder;
    `hf://` and `kaggle://` handles are downloaded (and cached) by the
    hub's client package.

    Args:
        preset: an installed preset's name, a folder, or a remote handle.

    Returns:
        The folder, as a `Path`.

    Raises:
        ValueError: for an unknown name (the message lists the installed
            presets) or a malformed handle.
        FileNotFoundError: for a path that does not exist or is not a folder.
        ImportError: for a remote handle whose hub client is not installed.

    Example:

    >>> from keras_patterns.utils.presets import resolve_preset
    >>> resolve_preset("patterns_synthetic").name
    'patterns_synthetic'
    """
    text = str(preset)
    if isinstance(preset, str) and "://" in text:
        return _download(text)
    if isinstance(preset, str) and NAME.fullmatch(text):
        if (PRESETS_DIR / text / METADATA_FILE).is_file():
            return PRESETS_DIR / text
        if not Path(text).exists():
            raise _unknown_preset(text)
    path = Path(preset).expanduser()
    if not path.is_dir():
        state = "is not a folder" if path.exists() else "does not exist"
        raise FileNotFoundError(
            f'"preset" must be a preset name or a folder holding {MODEL_FILE}. '
            f"Received: preset={text!r}, which {state}"
        )
    return path


def preset_metadata(directory: PathLike) -> dict[str, Any]:
    """The `metadata.json` of a preset folder; `{}` when it has none.

    Args:
        directory: a folder returned by `resolve_preset`.

    Returns:
        The metadata as a dict.

    Example:

    >>> from keras_patterns.utils.presets import preset_metadata, resolve_preset
    >>> preset_metadata(resolve_preset("patterns_synthetic"))["patch_size"]
    64
    """
    file = Path(directory) / METADATA_FILE
    if not file.is_file():
        return {}
    try:
        metadata = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{file} is not valid JSON: {error}") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{file} must hold a JSON object. Received: {metadata!r}")
    return metadata


def load_preset_model(directory: PathLike) -> keras.Model:
    """Loads the model of a preset folder with `safe_mode=True`.

    Args:
        directory: a folder returned by `resolve_preset`, holding
            `model.keras` (or a model saved by Keras unzipped, as
            `model.save("hf://...")` writes).

    Returns:
        The model.

    Example:

    >>> from keras_patterns.utils.presets import load_preset_model, resolve_preset
    >>> type(load_preset_model(resolve_preset("patterns_synthetic"))).__name__
    'PatternEmbedder'
    """
    directory = Path(directory)
    if (directory / MODEL_FILE).is_file():
        return keras.saving.load_model(directory / MODEL_FILE, safe_mode=True)
    if (directory / "config.json").is_file() and (
        directory / "model.weights.h5"
    ).is_file():
        return keras.saving.load_model(directory, safe_mode=True)
    raise FileNotFoundError(
        f"The preset folder {str(directory)!r} holds no {MODEL_FILE}: expected a "
        "folder written by save_to_preset."
    )


def _check_json(metadata):
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(
            '"metadata" must hold JSON values only (strings, finite numbers, '
            f"booleans, None, lists and dicts): {error}. Received: "
            f"metadata={metadata!r}"
        ) from None


def save_preset(
    model: keras.Model, directory: PathLike, metadata: Mapping[str, Any]
) -> Path:
    """Writes a preset folder: `model.keras` and `metadata.json`, atomically.

    The model is saved without its optimizer: a preset is the trained
    model, not its training state (AdamW's moments would triple the file).
    `name` (the folder's name), `class_name` (the model's class) and
    `params` (its parameter count) are filled in when `metadata` leaves them
    out. The metadata is checked before anything is written, and each file
    replaces the old one only once complete; `metadata.json` is written
    last, so a folder with a new `metadata.json` has its new model.

    Args:
        model: the Keras model.
        directory: the preset folder, created if missing.
        metadata: what the model is (`description`, `task`, `patch_size`...),
            what it was trained on (`trained_on`), how well it did
            (`validation`) and how it was trained (`training`): JSON values.

    Returns:
        `directory`, as a `Path`.

    Example:

    >>> import tempfile, keras
    >>> from keras_patterns.utils.presets import preset_metadata, save_preset
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> folder = save_preset(model, tempfile.mkdtemp() + "/tiny", {"task": "demo"})
    >>> preset_metadata(folder)["params"]
    3
    """
    if not isinstance(metadata, Mapping):
        raise ValueError(f'"metadata" must be a dict. Received: metadata={metadata!r}')
    directory = Path(directory)
    filled = {
        "name": directory.name,
        "class_name": type(model).__name__,
        **({"params": int(model.count_params())} if model.built else {}),
        **metadata,
    }
    _check_json(filled)
    ordered = {key: filled[key] for key in METADATA_FIELDS if key in filled}
    ordered.update(filled)
    text = json.dumps(ordered, indent=2, allow_nan=False) + "\n"
    save_model_atomic(_without_optimizer(model), directory / MODEL_FILE)
    write_text_atomic(directory / METADATA_FILE, text)
    for name in (MODEL_FILE, METADATA_FILE):  # package data: readable by all
        (directory / name).chmod(0o644)
    logger.info("Saved the preset %s (%s)", ordered["name"], directory)
    return directory


def _without_optimizer(model: keras.Model) -> keras.Model:
    """`model`, or a copy of it with no optimizer when it was compiled."""
    if getattr(model, "optimizer", None) is None:
        return model
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


class PresetMixin:
    """`presets`, `from_preset` and `save_to_preset` for a Keras model class.

    As KerasHub's tasks have them: a preset is a folder holding
    `model.keras` and `metadata.json` (what the model is, what it was
    trained on, its validation figures and the command that trains it
    again), installed with the package, written by `save_to_preset`, or
    fetched from a hub. A class sets `PRESET_TASK` (`"embedder"`,
    `"segmenter"`, `"enhancer"`) and may fill more metadata in
    `preset_fields`.
    """

    PRESET_TASK: str = "model"
    presets = PresetsAttribute()
    """The installed presets of the class, a dict from name to metadata."""

    @classmethod
    def from_preset(cls, preset: PathLike) -> Any:
        """Loads a trained model from a preset (with `safe_mode=True`).

        Args:
            preset: the name of an installed preset (a key of the class's
                `presets`, such as `"patterns_synthetic"`); a folder written
                by `save_to_preset` (or holding a `model.keras`); or a
                remote handle, `hf://OWNER/REPO` (needs `huggingface_hub`)
                or `kaggle://OWNER/MODEL/keras/VARIATION` (needs
                `kagglehub`).

        Returns:
            The model, with its trained weights.

        Raises:
            ValueError: the preset holds a model of another class.

        Example:

        >>> import keras_patterns as kp
        >>> embedder = kp.models.PatternEmbedder.from_preset("patterns_synthetic")
        >>> embedder.embedding_dim == embedder.presets["patterns_synthetic"][
        ...     "embedding_dim"]
        True
        """
        directory = resolve_preset(preset)
        expected = preset_metadata(directory).get("class_name", cls.__name__)
        if expected != cls.__name__:
            raise ValueError(
                f'"preset" must hold a {cls.__name__}. Received: preset={preset!r}, '
                f"a {expected} preset"
            )
        model = load_preset_model(directory)
        if not isinstance(model, cls):
            raise ValueError(
                f'"preset" must hold a {cls.__name__}. Received: preset={preset!r}, '
                f"holding a {type(model).__name__}"
            )
        return model

    def preset_fields(self) -> dict[str, Any]:
        """Metadata `save_to_preset` fills in from the model itself."""
        return {}

    def save_to_preset(self, directory: PathLike, **metadata: Any) -> Path:
        """Saves the model as a preset folder that `from_preset` loads.

        Writes `model.keras` and `metadata.json`, each atomically (see
        `save_preset`). `task`, `class_name`, `params`, `name` (the folder's
        name) and what `preset_fields` reads off the model (an embedder's
        `embedding_dim` and `patch_size`, a segmenter's `label_names`...)
        are filled in unless given.

        Args:
            directory: the folder to write, created if missing.
            **metadata: JSON values describing the preset: `description`,
                `trained_on` (every source with its package, version and
                licence), `validation` (figures with their `data` and
                `command`), `training` (`command`, `seed`, `seconds`...).

        Returns:
            `directory`, as a `Path`.

        Example:

        >>> import tempfile
        >>> import keras_patterns as kp
        >>> embedder = kp.models.PatternEmbedder(
        ...     "texture_cnn", embedding_dim=8, input_shape=(32, 32, 3))
        >>> folder = embedder.save_to_preset(tempfile.mkdtemp() + "/mine",
        ...                                  description="untrained")
        >>> kp.models.PatternEmbedder.from_preset(folder).embedding_dim
        8
        """
        filled = {"task": self.PRESET_TASK, **self.preset_fields()}
        return save_preset(self, directory, {**filled, **metadata})
