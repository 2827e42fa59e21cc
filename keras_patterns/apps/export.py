"""Deployable exports: a grouper's models as SavedModel, ONNX or LiteRT files.

`export_grouper` writes the segmenter and the embedder of a grouper saved
by `PatternGrouper.save` (or the embedder of a preset) as files that run
without Keras or keras-patterns, beside `export.json`, which says what each
file takes and gives; `export_model` exports one model. Keras'
`model.export` converts; this module gives it an input signature with a
dynamic batch, height and width, the options each backend needs, and the
checks that keep an unusable file from being written.
`keras_patterns.apps.runtimes` runs the files (`load_exported`) and
measures how far they are from the Keras models (`verify_export`, also
importable from here).
"""

import json
import logging
import re
import warnings
from pathlib import Path
from typing import Any

import keras

from keras_patterns.apps.runtimes import INPUT_NAME
from keras_patterns.apps.runtimes import MANIFEST
from keras_patterns.apps.runtimes import OUTPUT_NAME
from keras_patterns.apps.runtimes import load_grouper
from keras_patterns.apps.runtimes import verify_export
from keras_patterns.embedding.embedding_layers import ImageRangeScaling
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_size
from keras_patterns.version import __version__

logger = logging.getLogger(__name__)

FORMATS = ("tf_saved_model", "onnx", "litert")
"""The formats `export_model` and `export_grouper` write."""
SUFFIXES = {"tf_saved_model": "", "onnx": ".onnx", "litert": ".tflite"}
AXES = ("batch", "height", "width")


def _image_input(model):
    """`(H, W, C)` of a model taking one `(batch, H, W, C)` image batch."""
    if not isinstance(model, keras.Model) or not model.built:
        raise ValueError(
            f'"model" must be a built keras.Model. Received: model={model!r}'
        )
    shapes = [tuple(x.shape) for x in model.inputs]
    if len(shapes) != 1 or len(shapes[0]) != 4 or shapes[0][3] is None:
        raise ValueError(
            '"model" must take one (batch, height, width, channels) image batch '
            f"with known channels. Received a model with inputs of shapes {shapes}"
        )
    return shapes[0][1:]


def _signature_shape(model, image_size, fmt):
    height, width, channels = _image_input(model)
    if image_size is not None:
        size = check_size(image_size, "image_size")
        fixed = (height, width)
        if any(f is not None and f != s for f, s in zip(fixed, size, strict=True)):
            raise ValueError(
                f'"image_size" must match the model\'s fixed input size {fixed}. '
                f"Received: image_size={image_size!r}"
            )
        height, width = size
    backend = keras.backend.backend()
    if backend == "torch" and None in (height, width):
        # Keras traces PyTorch models at one size and bakes it into the
        # graph (the padding of strided "same" convolutions among others).
        raise ValueError(
            '"image_size" must be given on the PyTorch backend, whose exports '
            "have a fixed height and width. Received: image_size=None"
        )
    # Keras' LiteRT export from PyTorch takes no unknown dimension at all.
    batch = 1 if backend == "torch" and fmt == "litert" else None
    return (batch, height, width, channels)


def _check_path(path, fmt):
    path, suffix = Path(path), SUFFIXES[fmt]
    if suffix and path.suffix != suffix:
        expected = f"a {suffix} file"
    elif not suffix and path.suffix in (".onnx", ".tflite"):
        expected = "a folder, not an .onnx or .tflite file,"
    else:
        return path
    raise ValueError(
        f'"path" must be {expected} for format={fmt!r}. Received: path={str(path)!r}'
    )


def _export_options(fmt):
    backend = keras.backend.backend()
    if backend == "jax" and fmt == "tf_saved_model":
        # A served model needs no gradients, and jax2tf cannot trace them
        # through "same" padding of unknown sizes.
        return {"jax2tf_kwargs": {"with_gradient": False}}
    if backend == "tensorflow" and fmt == "litert":
        import tensorflow as tf

        # Built-in kernels only: Keras would otherwise fall back to
        # TensorFlow ops (Flex), which stock LiteRT interpreters cannot run.
        return {"target_spec": {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}}
    return {}


def _rename_onnx_output(path, name):
    import onnx

    proto = onnx.load(str(path))
    old = proto.graph.output[0].name
    if old == name:
        return
    for node in proto.graph.node:
        node.input[:] = [name if value == old else value for value in node.input]
        node.output[:] = [name if value == old else value for value in node.output]
    proto.graph.output[0].name = name
    onnx.save(proto, str(path))


def _converter_error(path, error):
    ops = dict.fromkeys(re.findall(r"'tf\.(\w+)' op is neither", str(error)))
    return ValueError(
        f"{path} was not written: the model needs TensorFlow ops that LiteRT's "
        f"built-in kernels lack ({', '.join(ops) or 'see the traceback'}), which "
        "stock LiteRT interpreters cannot run"
    )


def export_model(
    model: keras.Model,
    path: PathLike,
    format: str = "onnx",
    image_size: Size | None = None,
) -> dict[str, Any]:
    """Exports an image model for inference, with a dynamic batch and size.

    Calls `model.export` with an input signature named `"images"`: float32
    `(batch, height, width, channels)`, the batch and any height or width
    the model takes at any size left dynamic (`image_size` fixes them). On
    JAX, SavedModels are written without gradients; on TensorFlow, LiteRT
    files with built-in kernels only, so they run in any LiteRT
    interpreter. ONNX outputs are named `"output_0"`, as Keras names the
    output of the other formats.

    Args:
        model: a built `keras.Model` taking one channels-last image batch,
            such as a `DeepLabV3Plus` or a `PatternEmbedder`.
        path: the file to write: a folder for `"tf_saved_model"`, a
            `.onnx` file for `"onnx"`, a `.tflite` file for `"litert"`.
        format: `"tf_saved_model"` (TensorFlow and JAX backends), `"onnx"`
            (TensorFlow: needs `tf2onnx`; JAX: `jax2onnx`; PyTorch) or
            `"litert"` (TensorFlow; PyTorch with `litert-torch`).
        image_size: `(height, width)` to fix, or `None` to keep the
            model's. Required on the PyTorch backend, whose exports have a
            fixed size.

    Returns:
        The exported signature: `{"input": {...}, "output": {...}}`, each
        with `name`, `dtype` and `shape` (`None` where dynamic); the input
        also with `layout` and its `dynamic` axes.

    Raises:
        ValueError: for a bad argument, a `path` whose suffix does not fit
            the format, or a model LiteRT's built-in kernels cannot run.

    Example:

    >>> import tempfile
    >>> import keras_patterns as kp
    >>> from keras_patterns.apps.export import export_model
    >>> embedder = kp.models.PatternEmbedder(
    ...     kp.embedding.texture_cnn(width=4), embedding_dim=8)
    >>> path = tempfile.mkdtemp() + "/embedder.onnx"
    >>> signature = export_model(embedder, path)  # doctest: +SKIP
    >>> signature["input"]["dynamic"], signature["output"]["shape"]  # doctest: +SKIP
    (['batch', 'height', 'width'], [None, 8])
    """
    fmt = check_choice(format, FORMATS, "format")
    path = _check_path(path, fmt)
    shape = _signature_shape(model, image_size, fmt)
    spec = keras.InputSpec(shape=shape, dtype="float32", name=INPUT_NAME)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            # Keras' patch of tf2onnx for NumPy 2 probes `np.object`.
            warnings.filterwarnings("ignore", "In the future `np.object`")
            model.export(
                str(path),
                format=fmt,
                verbose=False,
                input_signature=[spec],
                **_export_options(fmt),
            )
    except Exception as error:
        if type(error).__name__ != "ConverterError":  # TensorFlow Lite's
            raise
        raise _converter_error(path, error) from None
    if fmt == "onnx":
        _rename_onnx_output(path, OUTPUT_NAME)
    output = model.compute_output_shape(shape)
    return {
        "input": {
            "name": INPUT_NAME,
            "dtype": "float32",
            "layout": "NHWC",
            "shape": list(shape),
            "dynamic": [
                axis for axis, d in zip(AXES, shape, strict=False) if d is None
            ],
        },
        "output": {"name": OUTPUT_NAME, "dtype": "float32", "shape": list(output)},
    }


def _fixed_size(model, name, grouper):
    """The size to export at on backends whose exports have a fixed size."""
    if keras.backend.backend() != "torch":
        return None
    height, width, _ = _image_input(model)
    if height is not None and width is not None:
        return height, width
    if name == "embedder":
        return grouper.patch_size, grouper.patch_size
    if grouper.segment_size is None:
        raise ValueError(
            "The PyTorch backend exports a fixed image size, and this grouper "
            'has no "segment_size" (it segments photos at their own size). '
            "Export it on the TensorFlow backend, or save it with a segment_size"
        )
    return tuple(grouper.segment_size)


def _segmenter_entry(grouper, signature):
    size = grouper.segment_size
    return {
        "input": {
            **signature["input"],
            "range": [0.0, 1.0],
            "accepts_0_255": False,
            "channel_order": "RGB",
            "size": None if size is None else list(size),
            "resize": "bilinear",
        },
        "output": {
            **signature["output"],
            "values": "logits",
            "label_names": list(grouper.label_names),
        },
    }


def _embedder_entry(grouper, signature):
    model = grouper.embedder
    return {
        "input": {
            **signature["input"],
            "range": [0.0, 1.0],
            # An image whose largest value exceeds 1 is read as 0-255.
            "accepts_0_255": any(
                isinstance(x, ImageRangeScaling) for x in model.layers
            ),
            "channel_order": "RGB",
            "size": [grouper.patch_size, grouper.patch_size],
            "resize": "bicubic",
        },
        "output": {
            **signature["output"],
            "values": "embeddings",
            "embedding_dim": int(signature["output"]["shape"][-1]),
            "l2_normalized": True,
        },
    }


def _json(value, depth=0):
    """JSON with a line per key; lists (shapes, label names) on one line."""
    if not isinstance(value, dict) or not value:
        return json.dumps(value)
    pad = " " * (depth + 1)
    lines = [f"{pad}{json.dumps(k)}: {_json(v, depth + 1)}" for k, v in value.items()]
    return "{\n" + ",\n".join(lines) + "\n" + " " * depth + "}"


def export_grouper(
    grouper_dir: PathLike, out_dir: PathLike, format: str = "onnx"
) -> dict[str, Any]:
    """Exports a grouper's segmenter and embedder, with a JSON that describes them.

    Writes `segmenter` and `embedder` files (`.onnx`, `.tflite`, or
    SavedModel folders) to `out_dir` with `export_model`, then
    `export.json`: the format, the file of each model, its input (name,
    float32 NHWC shape with `None` for the dynamic axes, value range,
    channel order, the size the grouper feeds it) and its output (logits
    with the label names, or L2-normalised embeddings with their size).
    The enhancer and the clusterer stay in the grouper folder: patch
    cutting and grouping are NumPy code around the two networks.

    Args:
        grouper_dir: a folder written by `PatternGrouper.save`, or an
            embedder preset (see `PatternGrouper.from_preset`; then only the
            embedder is exported).
        out_dir: the folder to write, created if missing.
        format: `"tf_saved_model"`, `"onnx"` or `"litert"` (see
            `export_model` for what each needs).

    Returns:
        The content of `export.json`.

    Raises:
        FileNotFoundError: `grouper_dir` is not a saved grouper or preset.
        ValueError: for a bad format, or a model the format cannot hold.

    Example:

    >>> from keras_patterns.apps.export import export_grouper
    >>> manifest = export_grouper("demo_out/grouper", "deploy")  # doctest: +SKIP
    >>> manifest["models"]["embedder"]["file"]  # doctest: +SKIP
    'embedder.onnx'
    """
    fmt = check_choice(format, FORMATS, "format")
    grouper = load_grouper(grouper_dir)
    out_dir = Path(out_dir)
    entries = {"segmenter": _segmenter_entry, "embedder": _embedder_entry}
    models = {}
    for name, entry in entries.items():
        model = getattr(grouper, name)
        if model is None:
            continue
        file = f"{name}{SUFFIXES[fmt]}"
        logger.info("Exporting the %s to %s (%s)", name, out_dir / file, fmt)
        size = _fixed_size(model, name, grouper)
        signature = export_model(model, out_dir / file, fmt, image_size=size)
        models[name] = {"file": file, "class_name": type(model).__name__}
        models[name].update(entry(grouper, signature))
    manifest = {
        "format": fmt,
        "source": str(grouper_dir),
        "created_by": {
            "keras_patterns": __version__,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
        },
        "models": models,
    }
    write_text_atomic(out_dir / MANIFEST, _json(manifest) + "\n")
    return manifest


__all__ = ["FORMATS", "export_grouper", "export_model", "verify_export"]
