"""Every example runs on the embedded synthetic data in quick mode.

CI runs the examples in its TensorFlow leg only (marker `scripts`): they are
scripts over the public API, whose every layer, model and loss the JAX and
PyTorch legs test, and the demo's end-to-end test runs on every backend.
"""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
# The pictures an example must leave (any PNG for the others).
PICTURES = {
    "train_embedder.py": ("curves.png", "retrieval.png"),
    "train_segmentation.py": ("curves.png", "predictions.png"),
    "enhance_patches.py": ("enhanced.png",),
    "cluster_embeddings.py": ("k_scores.png", "embedding_map.png"),
}


def test_there_are_examples():
    assert EXAMPLES


@pytest.mark.scripts
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_quick(script, tmp_path):
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert any(tmp_path.rglob("*.png")), "the example saved no picture"
    for name in PICTURES.get(script.name, ()):
        assert (tmp_path / name).is_file(), name
