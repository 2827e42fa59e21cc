import csv
from pathlib import Path

import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns import datasets as ds
from keras_patterns.datasets.synthetic import render_pattern
from keras_patterns.datasets.synthetic import sample_pattern

SIZE = (64, 48)
CLOTHING_IDS = [ds.INSHOP_CLASSES.index(c) for c in ("top", "dress", "outer", "pants")]


@pytest.fixture(scope="module")
def scenes():
    return ds.make_pattern_garments(32, image_size=SIZE, seed=3, views_per_item=2)


def test_shapes_and_types(scenes):
    assert (
        scenes["images"].shape == (32, *SIZE, 3) and scenes["images"].dtype == np.uint8
    )
    assert scenes["masks"].shape == (32, *SIZE) and scenes["masks"].dtype == np.uint8
    for key in ("pattern", "item_id", "view", "garment", "category", "gender"):
        assert scenes[key].shape == (32,), key
    assert scenes["pattern_names"] == ds.PATTERN_FAMILIES
    assert len(ds.PATTERN_FAMILIES) >= 12


def test_deterministic_and_prefix_stable(scenes):
    again = ds.make_pattern_garments(32, image_size=SIZE, seed=3, views_per_item=2)
    for key in ("images", "masks", "pattern", "item_id"):
        np.testing.assert_array_equal(again[key], scenes[key])
    prefix = ds.make_pattern_garments(5, image_size=SIZE, seed=3, views_per_item=2)
    np.testing.assert_array_equal(prefix["images"], scenes["images"][:5])
    other = ds.make_pattern_garments(5, image_size=SIZE, seed=4, views_per_item=2)
    assert not np.array_equal(other["images"], scenes["images"][:5])


def test_covers_every_family(scenes):
    assert set(scenes["pattern"].tolist()) == set(range(len(ds.PATTERN_FAMILIES)))


def test_masks_use_only_table_colours(scenes):
    assert set(np.unique(scenes["masks"]).tolist()) <= set(range(16))
    rgb = ds.labels_to_rgb(scenes["masks"])
    codes = {tuple(c) for c in rgb.reshape(-1, 3)}
    assert codes <= {tuple(c) for c in ds.INSHOP_COLORS}


def test_main_garment_is_visible_and_views_share_items(scenes):
    for i in range(32):
        main = ds.INSHOP_CLASSES.index(scenes["garment"][i])
        assert (scenes["masks"][i] == main).mean() > 0.03, i
        worn = set(np.unique(scenes["masks"][i]).tolist()) & set(CLOTHING_IDS)
        assert 1 <= len(worn) <= 3
    items = scenes["item_id"]
    np.testing.assert_array_equal(items, np.repeat(np.arange(16), 2))
    assert (scenes["pattern"][0::2] == scenes["pattern"][1::2]).all()
    assert list(scenes["view"][:2]) == ["front", "side"]
    assert not np.array_equal(scenes["images"][0], scenes["images"][1])


def test_anatomy_is_plausible(scenes):
    """DEEPFASHION.md's check on real masks: footwear low, hair high."""
    hair, feet = ds.INSHOP_CLASSES.index("hair"), ds.INSHOP_CLASSES.index("footwear")
    rows = np.arange(SIZE[0])[None, :, None]
    for mask in scenes["masks"]:
        if (mask == feet).any():
            hair_y = (rows * (mask == hair)).sum() / (mask == hair).sum()
            feet_y = (rows * (mask == feet)).sum() / (mask == feet).sum()
            assert hair_y < 0.25 * SIZE[0] < 0.75 * SIZE[0] < feet_y


def test_garment_pixels_show_their_pattern():
    """The dress of a polka-dot item is not uniform; a solid one nearly is."""
    dots = ds.make_pattern_garments(1, (128, 96), seed=0, families=["polka_dots"])
    solid = ds.make_pattern_garments(1, (128, 96), seed=0, families=["solid"])
    spread = []
    for data in (dots, solid):
        main = ds.INSHOP_CLASSES.index(data["garment"][0])
        pixels = data["images"][0][data["masks"][0] == main].astype(float)
        spread.append(pixels.std(axis=0).mean())
    assert spread[0] > 2 * spread[1]


def test_every_family_renders_distinct_textures():
    v, u = np.mgrid[0:48, 0:48].astype(np.float32)
    swatches = []
    for family in ds.PATTERN_FAMILIES:
        image = render_pattern(sample_pattern(family, np.random.default_rng(1)), u, v)
        assert image.shape == (48, 48, 3) and image.dtype == np.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
        swatches.append(image)
    for i in range(len(swatches)):
        for j in range(i):
            assert np.abs(swatches[i] - swatches[j]).mean() > 0.01


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n"),
        ({"n": 2, "image_size": (8, 16)}, "image_size"),
        ({"n": 2, "views_per_item": 0}, "views_per_item"),
        ({"n": 2, "families": ["tweed"]}, "families"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ds.make_pattern_garments(**kwargs)


def test_write_original_layout(tmp_path):
    summary = ds.write_synthetic_inshop(
        tmp_path,
        n_items=4,
        views_per_item=3,
        image_size=SIZE,
        mask_fraction=0.5,
        seed=2,
    )
    records = ds.load_inshop(tmp_path)
    assert len(records) == 12 and records.missing == []
    masked = records.with_masks()
    assert 0 < len(masked) < 12
    assert {r.split for r in records} == {"train", "query", "gallery"}
    for item in {r.item_id for r in records}:
        assert (
            len(
                {
                    r.split if r.split == "train" else "test"
                    for r in records
                    if r.item_id == item
                }
            )
            == 1
        )
    data = ds.make_pattern_garments(12, image_size=SIZE, seed=2, views_per_item=3)
    for record in masked:
        index = (int(record.item_id[3:]) - 1) * 3 + ["front", "side", "back"].index(
            record.view
        )
        np.testing.assert_array_equal(
            ds.read_mask(record.mask_path), data["masks"][index]
        )
    assert all(r.bbox[2] > r.bbox[0] and r.bbox[3] > r.bbox[1] for r in records)
    again = ds.write_synthetic_inshop(
        tmp_path,
        n_items=4,
        views_per_item=3,
        image_size=SIZE,
        mask_fraction=0.5,
        seed=2,
    )
    assert again.written == [] and len(again.skipped) == len(summary.written)


def test_write_flat_layout(tmp_path):
    ds.write_synthetic_inshop(
        tmp_path, n_items=3, views_per_item=2, image_size=SIZE, layout="flat"
    )
    records = ds.load_inshop(tmp_path)
    assert records.layout == "flat" and len(records) == 6
    assert records.column("item_id") == ["1000", "1000", "1001", "1001", "1002", "1002"]
    data = ds.make_pattern_garments(6, image_size=SIZE, views_per_item=2)
    np.testing.assert_array_equal(ds.read_mask(records[3].mask_path), data["masks"][3])
    again = ds.write_synthetic_inshop(
        tmp_path, n_items=3, views_per_item=2, image_size=SIZE, layout="flat"
    )
    assert again.written == [] and len(again.skipped) == 12


def test_write_synthetic_catalogue_writes_resumes_and_matches_the_scenes(tmp_path):
    folder = tmp_path / "shop" / "photos"
    files, garments, patterns = kp.datasets.write_synthetic_catalogue(
        folder, photos_per_family=1, seed=7, image_size=(64, 48)
    )
    families = kp.datasets.PATTERN_FAMILIES
    scenes = kp.datasets.make_pattern_garments(len(families), (64, 48), seed=7)
    assert len(files) == len(families) and all(Path(f).is_file() for f in files)
    np.testing.assert_array_equal(patterns, scenes["pattern"])
    assert garments == list(scenes["garment"])
    with open(tmp_path / "shop" / "catalogue.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["file"] for row in rows] == [Path(f).name for f in files]
    assert [row["pattern"] for row in rows] == [families[p] for p in patterns]
    # A second run keeps the photos it finds (resumes) and says the same.
    stamps = [Path(f).stat().st_mtime_ns for f in files]
    again = kp.datasets.write_synthetic_catalogue(
        folder, photos_per_family=1, seed=7, image_size=(64, 48)
    )
    assert again.files == files
    assert [Path(f).stat().st_mtime_ns for f in files] == stamps
    with pytest.raises(ValueError, match='"photos_per_family"'):
        kp.datasets.write_synthetic_catalogue(folder, photos_per_family=0)


def test_product_photos_are_drawn_wide_and_the_same_for_a_seed():
    from keras_patterns.datasets.synthetic.product_photos import make_product_photos

    red = np.zeros((1, 32, 32, 3), np.uint8)
    red[..., 0] = 255  # one real "texture": pure red
    data = make_product_photos(48, (96, 72), seed=1, textures=red)
    again = make_product_photos(3, (96, 72), seed=1, textures=red)
    np.testing.assert_array_equal(data["images"][:3], again["images"])
    np.testing.assert_array_equal(data["masks"][:3], again["masks"])
    assert {"skirt", "dress", "top", "outer", "pants"} <= set(data["garment"])
    skirt = ds.INSHOP_CLASSES.index("skirt")
    for mask, garment in zip(data["masks"], data["garment"], strict=True):
        assert mask.max() < len(ds.INSHOP_CLASSES)
        if garment == "skirt":
            assert (mask == skirt).sum() > 50
    # Some garments wear the texture: red pixels, shaded and compressed.
    garments = np.isin(data["masks"], CLOTHING_IDS + [skirt])
    pixels = data["images"][garments].astype(int)
    reddish = (pixels[:, 0] > 120) & (pixels[:, 1] < 60) & (pixels[:, 2] < 60)
    assert reddish.sum() > 500


def test_tucked_product_photos_end_tops_at_the_waist():
    from keras_patterns.datasets.synthetic import figure
    from keras_patterns.datasets.synthetic.product_photos import make_product_photos
    from keras_patterns.datasets.synthetic.product_photos import sample_product_item

    def garments(tucked):
        items = [
            sample_product_item(np.random.default_rng([5, i]), tucked=tucked)
            for i in range(40)
        ]
        return [g for item in items for g in item.garments]

    tucked = garments(1.0)
    tops = [g.style["length"] for g in tucked if g.name == "top"]
    rises = [g.style["rise"] for g in tucked if g.name == "pants"]
    assert tops and rises
    assert all(figure.WAIST_Y < length <= 0.47 for length in tops)
    assert all(-0.01 <= rise <= 0.03 for rise in rises)
    plain = garments(0.0)
    assert all(g.style["length"] >= 0.5 for g in plain if g.name == "top")
    assert not any("rise" in g.style for g in plain)
    with pytest.raises(ValueError, match='"tucked".*Received: tucked=1.5'):
        make_product_photos(1, (32, 24), tucked=1.5)
    # The waistband sits `rise` below the waist (0.045 when not given).
    body = figure.Body()
    for style, waistband in (({}, 0.045), ({"rise": 0.0}, 0.0)):
        block = figure.pants(body, {"length": 0.9, "flare": 0.0, **style})[0]
        assert block[1][0][1] == pytest.approx(figure.WAIST_Y + waistband)
