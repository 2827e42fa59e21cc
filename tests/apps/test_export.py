"""Exported files (SavedModel, ONNX, LiteRT) compute what the Keras models do.

Each file runs in its own runtime (TensorFlow's SavedModel loader, ONNX
Runtime, the LiteRT interpreter) and is compared with the Keras model it
came from: the tiny segmenter and embedder of the grouper saved by version
0.1.0, and the shipped `patterns_synthetic` embedder.
"""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.apps.export import FORMATS
from keras_patterns.apps.export import SUFFIXES
from keras_patterns.apps.export import export_grouper
from keras_patterns.apps.export import export_model
from keras_patterns.apps.export import verify_export
from keras_patterns.apps.runtimes import load_exported

LEGACY_GROUPER = Path(__file__).resolve().parents[1] / "data" / "legacy" / "grouper"
BACKEND = keras.backend.backend()
SEGMENT_SIZE = (37, 53)  # odd: no multiple of the segmenter's stride
OTHER_SIZE = (61, 45)
PATCH = 32  # the legacy grouper's patch_size
BATCHES = (1, 3)
# What Keras 3.15 exports from each backend (keras/src/export): the
# reasons for the rest.
UNSUPPORTED = {
    ("jax", "litert"): "Keras exports LiteRT from TensorFlow and PyTorch only",
    ("torch", "tf_saved_model"): "Keras exports SavedModels from PyTorch with "
    "torch_xla, not installed here",
    ("torch", "litert"): "Keras exports LiteRT from PyTorch with litert-torch, "
    "not installed here (and only at one fixed shape)",
}
# Packages a format needs on a backend, with why a test skips without them.
# ONNX needs the "export" extra (tf2onnx on TensorFlow; onnx for renaming the
# output on PyTorch; onnxruntime to run the files); on JAX, Keras exports it
# with jax2onnx, which pulls in flax, equinox and orbax: not installed here.
JAX_ONNX = "Keras exports ONNX from JAX with jax2onnx, not installed here"
PARAMS = [
    pytest.param(fmt, marks=pytest.mark.extra("export")) if fmt == "onnx" else fmt
    for fmt in FORMATS
]


def _require(fmt):
    if (BACKEND, fmt) in UNSUPPORTED:
        pytest.skip(UNSUPPORTED[BACKEND, fmt])
    if (BACKEND, fmt) == ("jax", "onnx"):
        pytest.importorskip("jax2onnx", reason=JAX_ONNX)


def _keras(model, images):
    if BACKEND == "jax":  # compiled whole, not op by op: much faster
        return model.predict(images, batch_size=len(images), verbose=0)
    return keras.ops.convert_to_numpy(model(images, training=False))


def _dims(shape):
    """A shape read from a file, with `None` for unknown sizes (as in the JSON)."""
    return [
        int(d) if isinstance(d, (int, np.integer)) and d >= 0 else None for d in shape
    ]


def _file_signature(path, fmt):
    """`(input name, input shape, output name, output shape)` read from the file."""
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path))
        (given,), (output,) = session.get_inputs(), session.get_outputs()
        return given.name, _dims(given.shape), output.name, _dims(output.shape)
    import tensorflow as tf

    if fmt == "litert":
        interpreter = tf.lite.Interpreter(model_path=str(path))
        names = interpreter.get_signature_list()["serving_default"]
        given = interpreter.get_input_details()[0]["shape_signature"]
        output = interpreter.get_output_details()[0]["shape_signature"]
        return names["inputs"][0], _dims(given), names["outputs"][0], _dims(output)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    ((name, given),) = serve.structured_input_signature[1].items()
    ((output_name, output),) = serve.structured_outputs.items()
    return name, _dims(given.shape), output_name, _dims(output.shape)


@pytest.fixture(scope="module")
def grouper_dir(tmp_path_factory):
    """The 0.1.0 test grouper (tiny models), segmenting photos at an odd size."""
    grouper = kp.PatternGrouper.load(LEGACY_GROUPER, progress=False)
    grouper.segment_size = SEGMENT_SIZE
    return grouper.save(tmp_path_factory.mktemp("grouper"))


@pytest.fixture(scope="module")
def grouper(grouper_dir):
    return kp.PatternGrouper.load(grouper_dir, progress=False)


@pytest.fixture(scope="module")
def export_dir(grouper_dir, tmp_path_factory):
    """`export_dir(fmt)`: the grouper exported in `fmt` (once), and its JSON."""
    done = {}

    def export(fmt):
        _require(fmt)
        if fmt not in done:
            folder = tmp_path_factory.mktemp(fmt)
            done[fmt] = folder, export_grouper(grouper_dir, folder, format=fmt)
        return done[fmt]

    return export


@pytest.fixture(params=PARAMS)
def exported(request, export_dir):
    return export_dir(request.param)


def test_segmenter_file_computes_the_keras_logits(exported, grouper):
    folder, manifest = exported
    run = load_exported(folder / manifest["models"]["segmenter"]["file"])
    # PyTorch exports have a fixed size (the grouper's segment_size).
    sizes = [SEGMENT_SIZE] if BACKEND == "torch" else [SEGMENT_SIZE, OTHER_SIZE]
    rng = np.random.default_rng(0)
    for size in sizes:
        for batch in BATCHES:
            images = rng.random((batch, *size, 3), dtype=np.float32)
            logits = run(images)
            assert logits.shape == (batch, *size, 9)
            expected = _keras(grouper.segmenter, images)
            np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def test_embedder_file_computes_the_keras_embeddings(exported, grouper):
    folder, manifest = exported
    run = load_exported(folder / manifest["models"]["embedder"]["file"])
    sizes = [(PATCH, PATCH)] + ([] if BACKEND == "torch" else [(45, 39)])
    rng = np.random.default_rng(1)
    for size in sizes:
        for batch in BATCHES:
            images = rng.integers(0, 256, (batch, *size, 3)).astype(np.float32) / 255
            vectors = run(images)
            expected = _keras(grouper.embedder, images)
            np.testing.assert_allclose(vectors, expected, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
            # The same images in 0-255, as uint8 photos come: the same vectors.
            np.testing.assert_allclose(run(images * 255), vectors, atol=1e-5)


@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated")
def test_export_json_describes_the_files(exported, grouper):
    folder, manifest = exported
    fmt = manifest["format"]
    assert set(manifest["models"]) == {"segmenter", "embedder"}
    assert manifest["created_by"]["backend"] == BACKEND
    dynamic = ["batch"] if BACKEND == "torch" else ["batch", "height", "width"]
    suffix = {"tf_saved_model": "", "onnx": ".onnx", "litert": ".tflite"}[fmt]
    for name, entry in manifest["models"].items():
        assert entry["file"] == name + suffix
        assert entry["input"]["dynamic"] == dynamic
        given, shape, output, output_shape = _file_signature(
            folder / entry["file"], fmt
        )
        assert (given, shape, output) == (
            entry["input"]["name"],
            entry["input"]["shape"],
            entry["output"]["name"],
        )
        # A file may leave an output size undeclared (PyTorch's ONNX does).
        declared = entry["output"]["shape"]
        assert len(output_shape) == len(declared)
        assert all(d in (None, e) for d, e in zip(output_shape, declared, strict=True))
    segmenter, embedder = (
        manifest["models"]["segmenter"],
        manifest["models"]["embedder"],
    )
    assert segmenter["output"]["label_names"] == list(grouper.label_names)
    assert segmenter["input"]["size"] == list(SEGMENT_SIZE)
    assert segmenter["input"]["accepts_0_255"] is False
    assert embedder["output"]["embedding_dim"] == grouper.embedder.embedding_dim == 8
    assert embedder["input"]["size"] == [PATCH, PATCH]
    assert embedder["input"]["accepts_0_255"] is True


def test_verify_export_measures_small_differences(exported, grouper_dir):
    folder, _ = exported
    differences = verify_export(folder, grouper_dir, batch_sizes=(2,))
    assert set(differences) == {"segmenter", "embedder"}
    assert all(0 <= d < 1e-4 for d in differences.values()), differences


@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated")
def test_litert_files_run_in_tensorflows_older_interpreter(
    export_dir, grouper, monkeypatch
):
    # tf.lite.Interpreter, the fallback without ai_edge_litert, has an older
    # XNNPACK, which cannot reshape a maximum against a scalar (GeM pooling's
    # clamp) once the height and width are dynamic.
    folder, _ = export_dir("litert")
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    rng = np.random.default_rng(2)
    for name, size in (("segmenter", OTHER_SIZE), ("embedder", (45, 39))):
        run = load_exported(folder / f"{name}.tflite")
        for batch in BATCHES:
            images = rng.random((batch, *size, 3), dtype=np.float32)
            expected = _keras(getattr(grouper, name), images)
            np.testing.assert_allclose(run(images), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fmt", PARAMS)
def test_the_shipped_embedder_preset_exports(fmt, tmp_path):
    _require(fmt)
    embedder = kp.models.PatternEmbedder.from_preset("patterns_synthetic")
    path = tmp_path / f"embedder{SUFFIXES[fmt]}"
    size = (64, 64) if BACKEND == "torch" else None
    signature = export_model(embedder, path, format=fmt, image_size=size)
    assert signature["output"]["shape"] == [None, 128]
    images = kp.datasets.make_pattern_patches(2, (64, 64))["images"].astype("float32")
    # Unit vectors, within 3e-5 of Keras from PyTorch's ONNX export (within
    # 1e-6 from the other exports).
    np.testing.assert_allclose(
        load_exported(path)(images), _keras(embedder, images), rtol=1e-4, atol=1e-4
    )


def _tiny_embedder(input_shape=(None, None, 3)):
    return kp.models.PatternEmbedder(
        kp.embedding.texture_cnn(width=4), embedding_dim=8, input_shape=input_shape
    )


def test_bad_arguments_are_named(tmp_path):
    embedder = _tiny_embedder()
    with pytest.raises(ValueError, match='"format"'):
        export_model(embedder, tmp_path / "e.tflite", format="tflite")
    with pytest.raises(ValueError, match=r'"path" must be a \.onnx file'):
        export_model(embedder, tmp_path / "e.tflite", format="onnx")
    with pytest.raises(ValueError, match='"path" must be a folder'):
        export_model(embedder, tmp_path / "e.onnx", format="tf_saved_model")
    first, second = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    pair = keras.Model([first, second], keras.layers.Add()([first, second]))
    with pytest.raises(ValueError, match='"model" must take one'):
        export_model(pair, tmp_path / "p.onnx")
    fixed = _tiny_embedder((32, 32, 3))
    with pytest.raises(ValueError, match='"image_size" must match'):
        export_model(fixed, tmp_path / "f.onnx", image_size=(40, 40))
    if BACKEND == "torch":
        with pytest.raises(ValueError, match='"image_size" must be given'):
            export_model(embedder, tmp_path / "e.onnx")
    with pytest.raises(FileNotFoundError, match="missing"):
        export_grouper(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="export.json"):
        verify_export(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        load_exported(tmp_path / "missing.onnx")
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ValueError, match='"path" must be a SavedModel folder'):
        load_exported(tmp_path / "model.bin")


@pytest.mark.skipif(
    BACKEND != "tensorflow", reason="LiteRT files come from TensorFlow here"
)
def test_a_model_litert_cannot_run_is_not_written(tmp_path):
    images = keras.Input((4, 4, 1))
    # A matrix determinant: a TensorFlow op with no LiteRT built-in kernel.
    det = keras.layers.Lambda(lambda x: keras.ops.linalg.det(x[..., 0]))(images)
    model = keras.Model(images, det)
    with pytest.raises(ValueError, match="MatrixDeterminant"):
        export_model(model, tmp_path / "det.tflite", format="litert")
    assert not (tmp_path / "det.tflite").exists()
