import numpy as np
import pytest

from keras_patterns.utils.io import NpyWriter

pytestmark = pytest.mark.backend_independent


def test_npy_writer_appends_chunks_into_one_memory_mappable_file(tmp_path):
    path = tmp_path / "sub" / "rows.npy"
    rng = np.random.default_rng(0)
    chunks = [rng.normal(size=(n, 5)) for n in (3, 0, 7, 1)]
    writer = NpyWriter(path)
    for chunk in chunks:
        writer.append(chunk)
    assert not path.exists()  # nothing visible before close
    assert writer.close() == path
    expected = np.concatenate(chunks).astype(np.float32)
    np.testing.assert_array_equal(np.load(path), expected)
    mapped = np.load(path, mmap_mode="r")
    assert isinstance(mapped, np.memmap) and mapped.shape == (11, 5)
    assert [p.name for p in path.parent.iterdir()] == ["rows.npy"]


def test_npy_writer_rejects_other_shapes_and_drops_partial_files(tmp_path):
    path = tmp_path / "rows.npy"
    shape = '"rows" must have shape \\(n, 4\\)'
    with pytest.raises(ValueError, match=shape), NpyWriter(path) as writer:
        writer.append(np.zeros((2, 4)))
        writer.append(np.zeros((2, 3)))
    assert list(tmp_path.iterdir()) == []
    with NpyWriter(path, dtype=np.int64) as writer:
        writer.append(np.arange(6).reshape(3, 2))
    np.testing.assert_array_equal(np.load(path), np.arange(6).reshape(3, 2))
