import numpy as np
import pytest

from keras_patterns import datasets as ds

pytestmark = pytest.mark.backend_independent


def test_tables_match_the_documented_colours():
    assert len(ds.INSHOP_CLASSES) == 16 and ds.INSHOP_COLORS.shape == (16, 3)
    assert ds.INSHOP_COLORS.dtype == np.uint8
    # Spot checks of the corrected names against DEEPFASHION.md section 2.
    checks = {
        "face": (16, 78, 139),
        "dress": (255, 250, 205),
        "outer": (220, 220, 220),
        "hair": (255, 0, 0),
        "pants": (211, 211, 211),
        "footwear": (245, 222, 179),
        "skirt": (250, 235, 215),
    }
    for name, rgb in checks.items():
        assert tuple(ds.INSHOP_COLORS[ds.INSHOP_CLASSES.index(name)]) == rgb
    assert len({tuple(c) for c in ds.INSHOP_COLORS}) == 16
    assert ds.CLOTHING_CLASSES == ("top", "dress", "outer", "pants", "footwear")
    assert not ds.INSHOP_COLORS.flags.writeable


def test_round_trip_all_ids():
    labels = np.arange(16, dtype=np.uint8).reshape(4, 4)
    rgb = ds.labels_to_rgb(labels)
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(ds.rgb_mask_to_labels(rgb), labels)


def test_rgba_alpha_is_ignored():
    labels = np.random.default_rng(0).integers(0, 16, (7, 5)).astype(np.uint8)
    rgb = ds.labels_to_rgb(labels)
    rgba = np.concatenate(
        [rgb, np.random.default_rng(1).integers(0, 256, (7, 5, 1), np.uint8)], -1
    )
    np.testing.assert_array_equal(ds.rgb_mask_to_labels(rgba), labels)


def test_unknown_colour_error_names_colour_and_file():
    rgb = ds.labels_to_rgb(np.zeros((3, 3), np.uint8))
    rgb[1, 1] = (1, 2, 3)
    rgb[2, 2] = (1, 2, 3)
    rgb[0, 2] = (9, 9, 9)
    with pytest.raises(
        ds.UnknownMaskColorError, match=r"masks/a\.png.*\(1, 2, 3\) \(2 px\)"
    ) as info:
        ds.rgb_mask_to_labels(rgb, source="masks/a.png")
    assert isinstance(info.value, ValueError)
    assert info.value.colors == [(1, 2, 3), (9, 9, 9)] and info.value.counts == [2, 1]


def test_unknown_colour_ignore_mode():
    rgb = ds.labels_to_rgb(np.full((2, 2), 13, np.uint8))
    rgb[0, 0] = (1, 2, 3)
    out = ds.rgb_mask_to_labels(rgb, unknown="ignore")
    np.testing.assert_array_equal(out, [[255, 13], [13, 13]])


@pytest.mark.parametrize(
    "mask, match",
    [
        (np.zeros((4, 4), np.uint8), "shape"),
        (np.zeros((4, 4, 2), np.uint8), "shape"),
        (np.zeros((4, 4, 3), np.float32), "dtype"),
    ],
)
def test_bad_masks(mask, match):
    with pytest.raises(ValueError, match=match):
        ds.rgb_mask_to_labels(mask)


def test_bad_unknown_mode():
    with pytest.raises(ValueError, match="unknown"):
        ds.rgb_mask_to_labels(np.zeros((2, 2, 3), np.uint8), unknown="drop")


def test_nine_class_reduction_default_ignore():
    ids = np.arange(16)
    out = ds.remap_classes(ids)
    expected = {
        "background": 0,
        "top": 1,
        "face": 2,
        "dress": 3,
        "outer": 4,
        "hair": 5,
        "pants": 6,
        "skin": 7,
        "footwear": 8,
    }
    for old, name in enumerate(ds.INSHOP_CLASSES):
        assert out[old] == expected.get(name, ds.IGNORE_LABEL), name
    assert ds.remap_classes(np.array([255]))[0] == 255


def test_nine_class_reduction_fold_into_background():
    out = ds.remap_classes(np.array([2, 6, 7, 13]), discarded="background")
    np.testing.assert_array_equal(out, [0, 0, 0, 6])
    with pytest.raises(ValueError, match="background"):
        ds.class_lookup_table(("top", "pants"), discarded="background")


def test_reduced_labels_display_with_their_colours():
    nine = ds.remap_classes(np.array([[13, 9]]))
    rgb = ds.labels_to_rgb(nine, classes=ds.NINE_CLASSES)
    np.testing.assert_array_equal(rgb[0], [ds.INSHOP_COLORS[13], ds.INSHOP_COLORS[9]])
    np.testing.assert_array_equal(
        ds.labels_to_rgb(np.array([[255]]))[0, 0], (255, 0, 255)
    )
    with pytest.raises(ValueError, match="labels"):
        ds.labels_to_rgb(np.array([[9]]), classes=ds.NINE_CLASSES)
    with pytest.raises(ValueError, match="classes"):
        ds.class_lookup_table(("top", "cape"))
