import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from keras_patterns import datasets as ds
from keras_patterns.cli import main


def tree_digest(root):
    """Hash of every file's path, bytes and mode under `root`."""
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
            digest.update(str(path.stat().st_mode).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A synthetic original-layout tree with one corrupt JPEG and one bad mask."""
    root = tmp_path_factory.mktemp("inshop")
    ds.write_synthetic_inshop(root, n_items=5, views_per_item=2, image_size=(48, 32))
    records = ds.load_inshop(root).with_masks()
    truncated = Path(records[1].image_path)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    bad = Path(records[6].mask_path)
    mask = np.array(Image.open(bad))
    mask[2:4, 2:4] = (1, 2, 3)
    Image.fromarray(mask).save(bad)
    return root, truncated, bad


def test_prepare_twice_source_untouched(source, tmp_path):
    root, truncated, bad = source
    before = tree_digest(root)
    first = ds.prepare_inshop(root, tmp_path / "flat", workers=2, progress=False)
    assert len(first.written) == 8 and first.skipped == []
    failed = dict(first.failed)
    assert set(failed) == {
        str(truncated),
        str(Path(str(bad).replace("_segment.png", ".jpg"))),
    }
    assert (
        "truncated" in failed[str(truncated)].lower()
        or "OSError" in failed[str(truncated)]
    )
    assert "(1, 2, 3)" in next(v for k, v in failed.items() if k != str(truncated))
    assert first.manifest_written
    after_first = tree_digest(tmp_path / "flat")
    second = ds.prepare_inshop(root, tmp_path / "flat", workers=1, progress=False)
    assert second.written == [] and not second.manifest_written
    assert sorted(second.skipped) == sorted(first.written) and len(second.failed) == 2
    assert tree_digest(tmp_path / "flat") == after_first
    assert tree_digest(root) == before
    assert not list((tmp_path / "flat").rglob("*.part"))


def test_flat_output_is_faithful(source, tmp_path):
    root, _, _ = source
    ds.prepare_inshop(root, tmp_path, progress=False)
    originals = {r.image_path: r for r in ds.load_inshop(root).with_masks()}
    flat = ds.load_inshop(tmp_path)
    assert len(flat) == 8 and all(r.mask_path for r in flat)
    for record in flat:
        row = ds.read_manifest(tmp_path / "manifest.csv")[Path(record.image_path).stem]
        original = originals[str(root / row["source_image"])]
        assert (
            Path(record.image_path).read_bytes()
            == Path(original.image_path).read_bytes()
        )
        np.testing.assert_array_equal(
            ds.read_mask(record.mask_path), ds.read_mask(original.mask_path)
        )
        assert (
            record.source_item_id,
            record.split,
            record.gender,
            record.category,
        ) == (original.item_id, original.split, original.gender, original.category)
        assert (record.view, record.look) == (original.view, original.look)
        assert Image.open(record.mask_path).mode == "L"
    numbers = sorted({r.item_id for r in flat})
    assert numbers[0] == "1000" and all(len(n) == 4 for n in numbers)


def test_interrupted_run_resumes(source, tmp_path):
    root, _, _ = source
    ds.prepare_inshop(root, tmp_path, progress=False)
    victim = sorted((tmp_path / "masks").glob("*.png"))[0]
    os.remove(victim)
    again = ds.prepare_inshop(root, tmp_path, progress=False)
    assert again.written == [victim.stem] and len(again.skipped) == 7


def test_unknown_ignore_converts_with_ignore_label(source, tmp_path):
    root, _, bad = source
    summary = ds.prepare_inshop(root, tmp_path, unknown="ignore", progress=False)
    assert len(summary.written) == 9 and len(summary.failed) == 1
    flat = {Path(r.image_path).stem: r for r in ds.load_inshop(tmp_path)}
    rows = ds.read_manifest(tmp_path / "manifest.csv")
    name = next(n for n, row in rows.items() if root / row["source_mask"] == bad)
    assert (ds.read_mask(flat[name].mask_path) == 255).sum() == 4


def test_destination_inside_source_is_refused(source):
    root, _, _ = source
    with pytest.raises(ValueError, match="destination"):
        ds.prepare_inshop(root, root / "flat", progress=False)
    with pytest.raises(ValueError, match="workers"):
        ds.prepare_inshop(root, "/tmp/elsewhere", workers=0, progress=False)


def test_console_command(source, tmp_path, capsys):
    root, _, _ = source
    assert main(["prepare-inshop", str(root), str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "written 8" in out and "failed 2" in out
    assert (
        main(["prepare-inshop", str(root), str(tmp_path), "--quiet", "--strict"]) == 1
    )
