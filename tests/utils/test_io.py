import os

import numpy as np
import pytest

from keras_patterns.utils.io import NpyWriter
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.io import write_text_atomic

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


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_atomic_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "page.html", "<p>hi</p>")
    finally:
        os.umask(old)
    assert (tmp_path / "page.html").stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_failed_atomic_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.bin") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []
