import numpy as np
import pytest

from keras_patterns import datasets as ds


@pytest.fixture(scope="module")
def scenes():
    return ds.make_pattern_garments(6, image_size=(64, 48), seed=0)


def _collect(dataset):
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in dataset], strict=True)
    return np.concatenate(images), np.concatenate(labels)


def test_arrays_without_augmentation_are_exact(scenes):
    dataset = ds.segmentation_dataset(scenes, (64, 48), batch_size=4)
    images, labels = _collect(dataset)
    assert images.shape == (6, 64, 48, 3) and images.dtype == np.float32
    assert labels.shape == (6, 64, 48) and labels.dtype == np.int32
    np.testing.assert_allclose(images, scenes["images"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(labels, ds.remap_classes(scenes["masks"]))


def test_labels_resize_nearest_only():
    """Downscaling a 0/13 checkerboard must never invent an id in between."""
    masks = np.zeros((1, 40, 40), np.uint8)
    masks[0, ::2, ::2] = 13
    masks[0, 1::2, 1::2] = 13
    data = {"images": np.zeros((1, 40, 40, 3), np.uint8), "masks": masks}
    classes = ds.INSHOP_CLASSES
    for size in [(17, 23), (64, 50)]:
        _, labels = _collect(ds.segmentation_dataset(data, size, 1, classes=classes))
        assert set(np.unique(labels).tolist()) <= {0, 13}


def test_augmentation_is_seeded_and_keeps_ids(scenes):
    kwargs = {"image_size": (32, 24), "batch_size": 3, "augment": True, "seed": 7}
    first = _collect(ds.segmentation_dataset(scenes, **kwargs))
    second = _collect(ds.segmentation_dataset(scenes, **kwargs))
    np.testing.assert_array_equal(first[1], second[1])
    np.testing.assert_allclose(first[0], second[0])
    allowed = set(np.unique(ds.remap_classes(scenes["masks"])).tolist()) | {255}
    assert set(np.unique(first[1]).tolist()) <= allowed
    assert first[0].min() >= 0.0 and first[0].max() <= 1.0


def test_scale_down_pads_with_ignore(scenes):
    dataset = ds.segmentation_dataset(
        scenes, (32, 24), 6, augment=True, scale_range=(0.5, 0.5), seed=1
    )
    images, labels = _collect(dataset)
    # Each image shrinks to 16x12 and sits in the middle of a padded 32x24 crop.
    border = np.ones((32, 24), bool)
    border[8:24, 6:18] = False
    assert np.all(labels[:, border] == 255) and np.all(images[:, border] == 0.0)
    assert np.all((labels[:, ~border] != 255).mean(axis=1) > 0.5)


def _find_window(image, labels, sources, masks):
    """Whether (image, labels) is an exact window of a source (or its mirror)."""
    h, w = labels.shape
    for source, mask in zip(sources, masks, strict=True):
        for picture, truth in ((source, mask), (source[:, ::-1], mask[:, ::-1])):
            for top in range(truth.shape[0] - h + 1):
                for left in range(truth.shape[1] - w + 1):
                    if np.array_equal(truth[top : top + h, left : left + w], labels):
                        window = picture[top : top + h, left : left + w]
                        if np.allclose(window, image, atol=1e-5):
                            return True
    return False


def test_crops_are_windows_of_the_full_resolution_scene(scenes):
    dataset = ds.segmentation_dataset(
        scenes, (64, 48), 6, augment=True, scale_range=(1, 1), crop_size=(20, 16)
    )
    images, labels = _collect(dataset)
    assert images.shape == (6, 20, 16, 3) and labels.shape == (6, 20, 16)
    sources = scenes["images"] / 255.0
    masks = ds.remap_classes(scenes["masks"])
    for image, label in zip(images, labels, strict=True):
        assert _find_window(image, label, sources, masks)


def test_files_in_both_layouts_give_the_same_pairs(tmp_path):
    ds.write_synthetic_inshop(
        tmp_path / "src", n_items=2, views_per_item=2, image_size=(48, 32)
    )
    ds.prepare_inshop(tmp_path / "src", tmp_path / "flat", progress=False)
    original = _collect(ds.segmentation_dataset(tmp_path / "src", (48, 32), 2))
    flat = _collect(ds.segmentation_dataset(tmp_path / "flat", (48, 32), 2))
    np.testing.assert_array_equal(original[1], flat[1])
    np.testing.assert_allclose(original[0], flat[0])
    truth = ds.make_pattern_garments(4, (48, 32), views_per_item=2)
    np.testing.assert_array_equal(original[1], ds.remap_classes(truth["masks"]))


def test_bad_arguments(scenes):
    with pytest.raises(ValueError, match="image_size"):
        ds.segmentation_dataset(scenes, (64,), 2)
    with pytest.raises(ValueError, match="batch_size"):
        ds.segmentation_dataset(scenes, (8, 8), 0)
    with pytest.raises(ValueError, match="no image with a mask"):
        ds.segmentation_dataset([], (8, 8), 1)


def test_pk_sampler_batches():
    labels = np.repeat(np.arange(10), [5, 5, 5, 5, 5, 5, 3, 2, 1, 6])
    sampler = ds.PKSampler(labels, p=3, k=4, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 3  # 9 labels have >= 2 examples
    seen = set()
    for batch in batches:
        assert batch.shape == (12,)
        values = labels[batch]
        assert len(set(values.tolist())) == 3
        assert all((values == v).sum() == 4 for v in set(values.tolist()))
        seen |= set(values.tolist())
    assert 8 not in seen and len(seen) == 9


def test_pk_sampler_validation():
    with pytest.raises(ValueError, match='"k"'):
        ds.PKSampler([0, 0, 1, 1], p=2, k=1)
    with pytest.raises(ValueError, match='"p"'):
        ds.PKSampler([0, 0, 1, 1], p=3, k=2)


def test_triplet_dataset_from_arrays():
    data = ds.make_pattern_garments(24, (32, 24), views_per_item=3)
    dataset = ds.triplet_dataset(data, labels="item_id", p=4, k=3, repeat=False)
    batches = [(x.numpy(), y.numpy()) for x, y in dataset]
    assert len(batches) == 2
    for images, labels in batches:
        assert images.shape == (12, 32, 24, 3) and labels.shape == (12,)
        assert sorted(np.bincount(labels)[np.bincount(labels) > 0].tolist()) == [
            3,
            3,
            3,
            3,
        ]


def test_triplet_dataset_from_files(tmp_path):
    ds.write_synthetic_inshop(
        tmp_path, n_items=4, views_per_item=2, image_size=(40, 32)
    )
    dataset = ds.triplet_dataset(
        tmp_path, labels="item_id", p=2, k=2, image_size=(20, 16)
    )
    images, labels = next(iter(dataset))
    assert images.shape == (4, 20, 16, 3)
    assert labels.numpy()[0] == labels.numpy()[1] != labels.numpy()[2]
    with pytest.raises(ValueError, match="image_size"):
        ds.triplet_dataset(tmp_path, p=2, k=2)
