import os
from pathlib import Path

import numpy as np
import pytest

from keras_patterns import datasets as ds
from tests.datasets import fixtures

pytestmark = pytest.mark.backend_independent


@pytest.fixture
def original(tmp_path):
    labels = fixtures.write_original(tmp_path)
    return tmp_path, labels


def test_original_layout_fields(original):
    root, _ = original
    records = ds.load_inshop(root)
    assert records.layout == "inshop" and len(records) == 5 and records.missing == []
    first = records[0]
    assert first.item_id == "id_00000002" and first["split"] == "train"
    assert (first.gender, first.category, first.view, first.look) == (
        "WOMEN",
        "Dresses",
        "front",
        2,
    )
    assert (first.clothes_type, first.pose_type, first.bbox) == (
        3,
        1,
        (50, 49, 208, 235),
    )
    assert Path(first.image_path).relative_to(root).parts[0] == "img_highres"
    assert records.column("split") == ["train", "train", "query", "gallery", "gallery"]
    assert records.column("item_id") == ["id_00000002"] * 2 + ["id_00000080"] * 2 + [
        "id_00000120"
    ]
    assert records.column("view") == ["front", "side", "front", "back", "additional"]
    assert records.column("gender") == ["WOMEN", "WOMEN", "MEN", "MEN", "WOMEN"]
    assert records[4].category == "Blouses_Shirts" and records[4].look == 3


def test_original_layout_masks(original):
    root, labels = original
    records = ds.load_inshop(root)
    has_mask = [r.mask_path is not None for r in records]
    assert has_mask == [True, False, True, True, False]
    for record in records.with_masks():
        name = (
            "img/"
            + Path(record.image_path).relative_to(root / "img_highres").as_posix()
        )
        assert record.mask_path.endswith(Path(name).stem + "_segment.png")
        np.testing.assert_array_equal(ds.read_mask(record.mask_path), labels[name])


def test_lowres_never_pairs_with_highres_masks(original):
    root, _ = original
    records = ds.load_inshop(root, resolution="lowres")
    assert all(r.mask_path is None for r in records)
    assert all(Path(r.image_path).relative_to(root).parts[0] == "img" for r in records)


def test_lists_are_optional(tmp_path):
    fixtures.write_original(tmp_path, with_lists=False)
    records = ds.load_inshop(tmp_path)
    assert len(records) == 5 and records[0].bbox is None


def test_missing_images_are_reported(original):
    root, _ = original
    gone = root / "img_highres/MEN/Denim/id_00000080/01_3_back.jpg"
    os.remove(gone)
    with pytest.warns(UserWarning, match="1 file"):
        records = ds.load_inshop(root)
    assert len(records) == 4 and records.missing == [str(gone)]
    with pytest.raises(FileNotFoundError, match="01_3_back"):
        ds.load_inshop(root, missing="error")


def test_count_line_is_checked(original):
    root, _ = original
    path = root / "Eval/list_eval_partition.txt"
    path.write_text(fixtures.PARTITION.replace("5\n", "6\n", 1))
    with pytest.raises(
        ValueError, match=r"list_eval_partition.txt:1: the count line says 6"
    ):
        ds.load_inshop(root)


def test_header_line_is_checked(original):
    root, _ = original
    path = root / "Anno/list_bbox_inshop.txt"
    path.write_text(
        fixtures.BBOX.replace("clothes_type pose_type", "pose_type clothes_type")
    )
    with pytest.raises(
        ValueError, match=r"list_bbox_inshop.txt:2: expected the header"
    ):
        ds.load_inshop(root)


def test_bad_split_is_rejected(original):
    root, _ = original
    path = root / "Eval/list_eval_partition.txt"
    path.write_text(fixtures.PARTITION.replace("query", "test"))
    with pytest.raises(ValueError, match="evaluation_status"):
        ds.load_inshop(root)


def test_flat_layout(tmp_path):
    fixtures.write_flat(tmp_path)
    records = ds.load_inshop(tmp_path)
    assert records.layout == "flat" and len(records) == 3
    assert records.column("item_id") == ["1000", "1000", "1001"]
    assert records.column("look") == [1, 1, 2]
    assert records.column("view") == ["front", "side", "front"]
    assert records.column("split") == [None, None, None]
    assert [r.mask_path is not None for r in records] == [True, False, True]
    np.testing.assert_array_equal(
        ds.read_mask(records[2].mask_path), fixtures.label_map(2)
    )


def test_flat_mask_without_image_is_reported(tmp_path):
    fixtures.write_flat(tmp_path)
    os.remove(tmp_path / "images/1001_021.jpg")
    with pytest.warns(UserWarning, match="missing"):
        records = ds.load_inshop(tmp_path)
    assert len(records) == 2 and records.missing[0].endswith("1001_021.jpg")


def test_unknown_root_and_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither"):
        ds.load_inshop(tmp_path)
    with pytest.raises(FileNotFoundError, match="root"):
        ds.load_inshop(tmp_path / "nope")
    with pytest.raises(ValueError, match="resolution"):
        ds.load_inshop(tmp_path, resolution="4k")


def test_greyscale_mask_with_bad_ids(tmp_path):
    from PIL import Image

    path = tmp_path / "m.png"
    Image.fromarray(np.array([[1, 40]], np.uint8), "L").save(path)
    with pytest.raises(ds.UnknownMaskColorError, match=r"m\.png.*40"):
        ds.read_mask(path)
    np.testing.assert_array_equal(ds.read_mask(path, unknown="ignore"), [[1, 255]])
