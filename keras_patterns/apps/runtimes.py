"""Running exported models with their own runtimes, and checking them.

`load_exported` loads a file written by `keras_patterns.apps.export`:
a SavedModel folder with TensorFlow, an `.onnx` file with ONNX Runtime, a
`.tflite` file with the LiteRT interpreter, what a deployment runs.
`verify_export` runs the files of `export_grouper` beside the Keras models
they came from and measures how far apart they are.
"""

from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from keras_patterns.grouping.pattern_grouper import PatternGrouper
from keras_patterns.utils.io import read_json
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_int

MANIFEST = "export.json"
INPUT_NAME = "images"
# Keras names the single output of a SavedModel signature and of a LiteRT
# signature "output_0"; ONNX files are given the same name.
OUTPUT_NAME = "output_0"
# What a folder holds: a saved grouper, or a preset written by save_to_preset.
GROUPER_FILES = ("config.json", "model.keras")


def _image_batch(images):
    array = np.asarray(images, dtype=np.float32)
    if array.ndim != 4:
        raise ValueError(
            '"images" must be a (batch, height, width, channels) array. '
            f"Received: an array of shape {array.shape}"
        )
    return array


def _onnx_runner(path):
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(
            "Running an ONNX file needs ONNX Runtime: pip install onnxruntime"
        ) from error
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    return lambda images: session.run(None, {name: _image_batch(images)})[0]


def _litert_interpreter(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        # TensorFlow's own copy: deprecated, and with an older XNNPACK.
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=str(path))


def _litert_runner(path):
    interpreter = _litert_interpreter(path)
    (given,) = interpreter.get_input_details()
    output = interpreter.get_output_details()[0]["index"]
    allocated = [None]

    def run(images):
        batch = _image_batch(images)
        if allocated[0] != batch.shape:
            interpreter.resize_tensor_input(given["index"], batch.shape, strict=True)
            interpreter.allocate_tensors()
            allocated[0] = batch.shape
        interpreter.set_tensor(given["index"], batch)
        interpreter.invoke()
        return interpreter.get_tensor(output).copy()

    return run


def _saved_model_runner(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    serve = loaded.signatures["serving_default"]

    def run(images):
        outputs = serve(**{INPUT_NAME: tf.constant(_image_batch(images))})
        return outputs[OUTPUT_NAME].numpy()

    run.saved_model = loaded  # owns the variables `serve` reads
    return run


def load_exported(path: PathLike) -> Callable[[ArrayLike], np.ndarray]:
    """Loads an exported model with its own runtime, without Keras.

    A SavedModel folder runs with TensorFlow (its `serving_default`
    signature), an `.onnx` file with ONNX Runtime (on the CPU), a
    `.tflite` file with the LiteRT interpreter (`ai_edge_litert`, else
    TensorFlow's `tf.lite.Interpreter`), resized to each batch's shape.

    Args:
        path: a file or folder written by `export_model`.

    Returns:
        A function from a float32 `(batch, height, width, channels)` array
        to the model's output, a NumPy array.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` is neither a folder, an `.onnx` nor a `.tflite`
            file.
        ImportError: the runtime is not installed.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.apps.runtimes import load_exported
    >>> run = load_exported("deploy/embedder.onnx")  # doctest: +SKIP
    >>> run(np.zeros((2, 64, 64, 3), np.float32)).shape  # doctest: +SKIP
    (2, 128)
    """
    path = Path(path)
    if path.is_dir():
        return _saved_model_runner(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    runners = {".onnx": _onnx_runner, ".tflite": _litert_runner}
    if path.suffix not in runners:
        raise ValueError(
            '"path" must be a SavedModel folder, an .onnx file or a .tflite '
            f"file. Received: path={str(path)!r}"
        )
    return runners[path.suffix](path)


def load_grouper(source: PathLike) -> PatternGrouper:
    """The grouper saved in `source`, or a grouper around a preset's embedder.

    Args:
        source: a folder written by `PatternGrouper.save`, or an embedder
            preset (see `PatternGrouper.from_preset`).

    Returns:
        The `PatternGrouper`, without progress bars.

    Raises:
        FileNotFoundError: `source` is a folder holding neither.
    """
    path = Path(source)
    if path.is_dir() and not any((path / f).is_file() for f in GROUPER_FILES):
        raise FileNotFoundError(
            f"{path} holds neither a grouper written by PatternGrouper.save "
            "(config.json) nor an embedder preset (model.keras)"
        )
    return PatternGrouper.from_preset(source, progress=False)


def _read_manifest(export_dir):
    file = Path(export_dir) / MANIFEST
    if not file.is_file():
        raise FileNotFoundError(
            f"{export_dir} holds no {MANIFEST} written by export_grouper"
        )
    manifest = read_json(file)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), dict):
        raise ValueError(f'{file} is not written by export_grouper: it has no "models"')
    return manifest


def _keras_outputs(model, images):
    if keras.backend.backend() == "jax":
        # A called model runs op by op, each op compiled for each new shape;
        # `predict` compiles the whole model once per shape.
        return model.predict(images, batch_size=len(images), verbose=0)
    return keras.ops.convert_to_numpy(model(images, training=False))


def _check_sizes(shape, size):
    """Sizes to compare at: the fixed one, or two for a dynamic size."""
    height, width = shape[1:3]
    if height is not None and width is not None:
        return [(height, width)]
    base = tuple(size) if size else (64, 64)
    # An odd size besides: no multiple of any stride the model pads to.
    return [base, tuple((side + 9) | 1 for side in base)]


def verify_export(
    export_dir: PathLike,
    grouper_dir: PathLike | None = None,
    batch_sizes: Sequence[int] = (1, 2),
    seed: int = 0,
) -> dict[str, float]:
    """The largest difference between each exported model and its Keras model.

    Runs every file `export_grouper` wrote (with `load_exported`) and the
    Keras model it came from on the same random images in [0, 1]: each
    batch size, at the size the grouper feeds the model and at an odd
    size besides when the file takes any size.

    Args:
        export_dir: a folder written by `export_grouper`.
        grouper_dir: the grouper (or preset) exported; default: the
            `source` recorded in `export.json`.
        batch_sizes: batch sizes to run.
        seed: seed of the random images.

    Returns:
        For each exported model (`"segmenter"`, `"embedder"`), the maximum
        absolute difference of the outputs, a float.

    Raises:
        FileNotFoundError: `export_dir` holds no `export.json`, or the
            grouper is missing.
        ValueError: `export.json` is not one `export_grouper` wrote, or
            names no source and `grouper_dir` is `None`.
        ImportError: the format's runtime is not installed.

    Example:

    >>> from keras_patterns.apps.runtimes import verify_export
    >>> verify_export("deploy", "demo_out/grouper")  # doctest: +SKIP
    {'segmenter': 5.5e-06, 'embedder': 2e-07}
    """
    manifest = _read_manifest(export_dir)
    source = manifest.get("source") if grouper_dir is None else grouper_dir
    if source is None:
        raise ValueError(
            f'"grouper_dir" must be given: {MANIFEST} in {export_dir} names no '
            "source. Received: grouper_dir=None"
        )
    grouper = load_grouper(source)
    batch_sizes = [check_int(b, "batch_sizes") for b in batch_sizes]
    rng = np.random.default_rng(seed)
    differences = {}
    for name, entry in manifest["models"].items():
        model, shape = getattr(grouper, name), entry["input"]["shape"]
        run = load_exported(Path(export_dir) / entry["file"])
        largest = 0.0
        for size in _check_sizes(shape, entry["input"].get("size")):
            for batch in batch_sizes if shape[0] is None else [shape[0]]:
                images = rng.random((batch, *size, shape[3]), dtype=np.float32)
                expected = _keras_outputs(model, images)
                largest = max(largest, float(np.max(np.abs(run(images) - expected))))
        differences[name] = largest
    return differences
