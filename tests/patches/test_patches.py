import functools
import itertools

import numpy as np
import pytest
from scipy import ndimage

import keras_patterns as kp
from keras_patterns.patches.rectangles import run_heights

RNG = np.random.default_rng(0)
TOP = kp.datasets.INSHOP_CLASSES.index("top")
PANTS = kp.datasets.INSHOP_CLASSES.index("pants")
# The maps below hold In-shop ids; extract_patches must be told so.
extract = functools.partial(
    kp.patches.extract_patches, label_names=kp.datasets.INSHOP_CLASSES
)


def brute_force_area(mask):
    """Largest all-True rectangle by exhaustive search (prefix sums)."""
    h, w = mask.shape
    s = np.zeros((h + 1, w + 1), int)
    s[1:, 1:] = mask.cumsum(0).cumsum(1)
    best = 0
    for t, b in itertools.combinations(range(h + 1), 2):
        for left, r in itertools.combinations(range(w + 1), 2):
            area = (b - t) * (r - left)
            if area > best and s[b, r] - s[t, r] - s[b, left] + s[t, left] == area:
                best = area
    return best


def random_mask(shape, density, smooth, rng):
    noise = rng.random(shape)
    if smooth:
        noise = ndimage.uniform_filter(noise, 3)
    return noise < density


def test_run_heights():
    mask = np.array([[1, 0], [1, 1], [0, 1]], bool)
    np.testing.assert_array_equal(run_heights(mask), [[1, 0], [2, 1], [0, 2]])


@pytest.mark.parametrize("seed", range(60))
def test_largest_rectangle_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 10, size=2))
    mask = random_mask(shape, rng.uniform(0.3, 0.95), seed % 2 == 0, rng)
    box = kp.patches.largest_rectangle(mask)
    best = brute_force_area(mask)
    if best == 0:
        assert box is None
        return
    top, left, bottom, right = box
    assert mask[top:bottom, left:right].all()
    assert (bottom - top) * (right - left) == best


def test_largest_rectangle_large_and_adversarial():
    staircase = np.tri(300, 300, dtype=bool)  # monotone histograms
    top, left, bottom, right = kp.patches.largest_rectangle(staircase)
    assert (bottom - top) * (right - left) == max(
        (300 - t) * (t + 1) for t in range(300)
    )
    full = np.ones((50, 70), bool)
    assert kp.patches.largest_rectangle(full) == (0, 0, 50, 70)
    assert kp.patches.largest_rectangle(np.zeros((4, 4), bool)) is None


def brute_force_square(mask):
    """Side of the largest all-True square, by trying every corner and side."""
    h, w = mask.shape
    return max(
        (
            k
            for k in range(1, min(h, w) + 1)
            for t in range(h - k + 1)
            for left in range(w - k + 1)
            if mask[t : t + k, left : left + k].all()
        ),
        default=0,
    )


@pytest.mark.parametrize("seed", range(40))
def test_largest_square_equals_brute_force(seed):
    rng = np.random.default_rng(1000 + seed)
    shape = tuple(rng.integers(1, 12, size=2))
    mask = random_mask(shape, rng.uniform(0.3, 0.95), seed % 2 == 0, rng)
    box = kp.patches.largest_square(mask)
    best = brute_force_square(mask)
    if best == 0:
        assert box is None
        return
    top, left, bottom, right = box
    assert bottom - top == right - left == best
    assert mask[top:bottom, left:right].all()
    # Never smaller than the centre square of the largest rectangle.
    r = kp.patches.largest_rectangle(mask)
    assert best >= min(r[2] - r[0], r[3] - r[1])


def test_largest_square_prefers_the_centre():
    mask = np.ones((10, 30), bool)
    assert kp.patches.largest_square(mask) == (0, 10, 10, 20)
    assert kp.patches.largest_square(np.zeros((3, 3), bool)) is None
    with pytest.raises(ValueError, match="2-D"):
        kp.patches.largest_square(np.ones(3, bool))


def test_square_patches():
    labels = np.zeros((40, 60), np.uint8)
    labels[5:35, 10:50] = TOP  # 30 x 40 region
    image = RNG.integers(0, 255, size=(40, 60, 3), dtype=np.uint8)
    (patch,) = extract(image, labels, margin=0, shape="square")
    assert patch.box == (5, 15, 35, 45) and patch.image.shape == (30, 30, 3)
    assert patch.coverage == pytest.approx(900 / 1200)
    np.testing.assert_array_equal(patch.image, image[5:35, 15:45])
    # One class may be named on its own; another class finds nothing.
    (alone,) = extract(image, labels, "top", shape="square")
    (named,) = extract(image, labels, ("top",), shape="square")
    assert alone.box == named.box == (7, 17, 33, 43)
    assert extract(image, labels, "pants") == []


def test_several_disjoint_squares_per_region():
    labels = np.zeros((40, 60), np.uint8)
    labels[5:35, 10:50] = TOP  # 30 x 40: one 30-square, then 30 x 10 is left
    image = RNG.integers(0, 255, size=(40, 60, 3), dtype=np.uint8)
    patches = extract(image, labels, margin=0, shape="square", per_region=3, min_size=4)
    # The 30-square sits in the middle (15..45), leaving two 30 x 5 strips,
    # each holding one 5-square nearest its centre; a third would overlap.
    assert [p.box for p in patches] == [
        (5, 15, 35, 45),
        (17, 10, 22, 15),
        (17, 45, 22, 50),
    ]
    assert all(p.class_name == "top" for p in patches)
    taken = np.zeros((40, 60), int)
    for p in patches:
        taken[p.box[0] : p.box[2], p.box[1] : p.box[3]] += 1
        np.testing.assert_array_equal(
            p.image, image[p.box[0] : p.box[2], p.box[1] : p.box[3]]
        )
    assert taken.max() == 1 and (labels[taken > 0] == TOP).all()
    one = extract(image, labels, margin=0, shape="square", min_size=6, per_region=3)
    assert [p.box for p in one] == [(5, 15, 35, 45)]  # the strips are too narrow


@pytest.mark.parametrize("seed", range(20))
def test_patches_lie_inside_their_region(seed):
    rng = np.random.default_rng(100 + seed)
    labels = np.zeros((48, 40), np.uint8)
    for class_id in (TOP, PANTS, 5, 8):
        labels[random_mask((48, 40), 0.45, True, rng)] = class_id
    image = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
    patches = extract(image, labels, min_size=2, margin=0)
    assert patches
    for patch in patches:
        top, left, bottom, right = patch.box
        class_id = kp.datasets.INSHOP_CLASSES.index(patch.class_name)
        assert (labels[top:bottom, left:right] == class_id).all()
        np.testing.assert_array_equal(patch.image, image[top:bottom, left:right])
        components, _ = ndimage.label(labels == class_id)
        assert len(np.unique(components[top:bottom, left:right])) == 1
        assert 0 < patch.coverage <= 1


@pytest.mark.parametrize("seed", range(15))
def test_region_rectangles_reach_95_percent_of_brute_force(seed):
    rng = np.random.default_rng(200 + seed)
    labels = np.where(random_mask((9, 8), 0.6, seed % 2 == 0, rng), TOP, 0).astype(
        np.uint8
    )
    components, count = ndimage.label(labels == TOP)
    patches = extract(np.zeros((9, 8, 3), np.uint8), labels, min_size=1, margin=0)
    assert len(patches) == count
    found = sorted((p.box[2] - p.box[0]) * (p.box[3] - p.box[1]) for p in patches)
    best = sorted(brute_force_area(components == i) for i in range(1, count + 1))
    assert all(f >= 0.95 * b for f, b in zip(found, best, strict=True))


def test_margin_keeps_away_from_garment_edges_not_the_frame():
    labels = np.zeros((40, 40), np.uint8)
    labels[10:30, 0:25] = TOP  # touches the left border of the image
    patch = extract(np.zeros((40, 40, 3)), labels, margin=3)[0]
    assert patch.box == (13, 0, 27, 22)
    relative = extract(np.zeros((40, 40, 3)), labels, margin=0.1)[0]
    assert relative.box == (12, 0, 28, 23)


def test_min_size_max_patches_patch_size_and_order():
    labels = np.zeros((60, 60), np.uint8)
    labels[0:40, 0:30] = TOP
    labels[45:60, 40:60] = PANTS
    labels[50:55, 0:5] = TOP  # too small
    image = np.arange(60 * 60 * 3, dtype=np.float32).reshape(60, 60, 3) / (60 * 60 * 3)
    patches = extract(image, labels, margin=0, min_size=8)
    assert [p.class_name for p in patches] == ["top", "pants"]
    assert patches[0].box == (0, 0, 40, 30) and patches[0].image.dtype == np.float32
    assert patches[0].coverage == 1.0 and patches[0].region_area == 1200
    only = extract(image, labels, margin=0, max_patches=1, min_size=8)
    assert len(only) == 1 and only[0].class_name == "top"
    cropped = extract(image, labels, margin=0, patch_size=(20, 20), min_size=8)
    assert cropped[0].box == (10, 5, 30, 25) and cropped[0].image.shape == (20, 20, 3)
    assert cropped[1].box == (45, 40, 60, 60)  # smaller than patch_size: kept whole
    again = extract(image, labels, margin=0, patch_size=(20, 20), min_size=8)
    assert [p.box for p in again] == [p.box for p in cropped]


def test_on_synthetic_masks_and_predicted_nine_class_maps():
    data = kp.datasets.make_pattern_garments(6, image_size=(256, 192), seed=5)
    results = kp.patches.extract_patches_batch(
        data["images"], data["masks"], label_names=kp.datasets.INSHOP_CLASSES
    )
    for i, patches in enumerate(results):
        assert patches, i
        assert data["garment"][i] in {p.class_name for p in patches}
    nine = kp.datasets.remap_classes(data["masks"][0])
    from_nine = kp.patches.extract_patches(
        data["images"][0], nine, label_names=kp.datasets.NINE_CLASSES
    )
    assert [p.box for p in from_nine] == [p.box for p in results[0]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"labels": np.zeros((5, 5), np.uint8)}, "labels"),
        ({"classes": ("cape",)}, "classes"),
        ({"classes": ()}, "classes"),
        ({"classes": "cape"}, r"\"classes\" must be a name from"),
        ({"min_size": 0}, "min_size"),
        ({"margin": 0.7}, "margin"),
        ({"max_patches": 0}, "max_patches"),
        ({"per_region": 0}, "per_region"),
        ({"shape": "circle"}, "shape"),
        ({"image": np.zeros((8, 8, 3)) + 2.0}, "image"),
    ],
)
def test_bad_arguments(kwargs, match):
    labels = np.full((8, 8), TOP, np.uint8)
    args = {"image": np.zeros((8, 8, 3), np.uint8), "labels": labels, "min_size": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        extract(**args)


def _nine_class_dress():
    labels = np.zeros((40, 30), np.uint8)
    labels[5:35, 4:24] = kp.datasets.NINE_CLASSES.index("dress")
    return np.zeros((40, 30, 3), np.uint8), labels


def test_label_names_is_required():
    # A 9-class map's dress (id 3) is In-shop's leggings: with a default
    # table the dress would be cut, silently, as the wrong garment.
    image, labels = _nine_class_dress()
    with pytest.raises(TypeError, match="label_names"):
        kp.patches.extract_patches(image, labels, classes=("dress", "leggings"))
    with pytest.raises(TypeError, match="label_names"):
        kp.patches.extract_patches_batch([image], [labels])
    (patch,) = kp.patches.extract_patches(
        image, labels, "dress", label_names=kp.datasets.NINE_CLASSES
    )
    assert patch.class_name == "dress"


def test_ids_beyond_the_table_are_an_error():
    labels = np.zeros((40, 30), np.uint8)
    labels[5:35, 4:24] = kp.datasets.INSHOP_CLASSES.index("pants")  # 13
    labels[0, 0] = kp.datasets.IGNORE_LABEL  # skipped pixels are allowed
    image = np.zeros((40, 30, 3), np.uint8)
    with pytest.raises(ValueError, match=r"ids \[13\].*label_names"):
        kp.patches.extract_patches(
            image, labels, "pants", label_names=kp.datasets.NINE_CLASSES
        )
    (patch,) = extract(image, labels, "pants")
    assert patch.class_name == "pants"


@pytest.mark.parametrize("seed", range(4))
def test_otsu_threshold_equals_brute_force(seed):
    # Every split of the histogram tried: the threshold is the edge after
    # the bin that leaves the least within-class variance of the values.
    rng = np.random.default_rng(seed)
    values = np.r_[rng.normal(0, 1, 300), rng.normal(4 + seed, 1.5, 200)]
    counts, edges = np.histogram(values, 32)
    centres = (edges[:-1] + edges[1:]) / 2
    spread = []
    for k in range(31):
        low, high = (
            np.repeat(centres[: k + 1], counts[: k + 1]),
            np.repeat(centres[k + 1 :], counts[k + 1 :]),
        )
        spread.append(sum(part.var() * part.size for part in (low, high) if part.size))
    expected = edges[int(np.argmin(spread)) + 1]
    assert kp.patches.otsu_threshold(values, bins=32) == pytest.approx(expected)
    with pytest.raises(ValueError, match="values"):
        kp.patches.otsu_threshold([])


def striped_block():
    """A grey 60 x 80 image, a 36 x 30 block of stripes at rows 12-48,
    columns 8-38, and a plain fold (a ramp) on the right."""
    image = np.full((60, 80, 3), 128, np.uint8)
    image[:, 44:76] = np.linspace(100, 160, 32, dtype=np.uint8)[None, :, None]
    image[12:48, 8:38] = 40
    image[12:48, 8:38:3] = 230
    return image


def test_textured_region_finds_the_pattern_not_the_plain_fabric():
    image, mask = striped_block(), np.zeros((60, 80), bool)
    mask[4:56, 4:78] = True  # the garments: the stripes and the plain fold
    region = kp.patches.textured_region(image, mask, erosion=0)
    assert region[16:44, 12:34].all()  # the stripes' interior
    # The fold (columns 44-76) is not textured, but for its left edge where
    # the stripes' own reach meets it: the averaging window (2 px) spreads a
    # few pixels past the stripes, and erosion takes that back.
    assert not region[:, 46:].any() and not (region & ~mask).any()
    reach = ndimage.binary_dilation(
        np.pad(np.ones((36, 30), bool), ((12, 12), (8, 42))),
        structure=np.ones((3, 3)),
        iterations=7,
    )
    assert not (region & ~reach).any()
    eroded = kp.patches.textured_region(image, mask, erosion=3)
    assert (eroded <= region).all() and eroded.sum() < region.sum()
    assert not kp.patches.textured_region(image, np.zeros((60, 80), bool)).any()
    with pytest.raises(ValueError, match="mask"):
        kp.patches.textured_region(image, mask[:10])
    # A negative erosion would erode until nothing changes (scipy's meaning).
    for bad, name in (({"erosion": -1}, "erosion"), ({"window": 0}, "window")):
        with pytest.raises(ValueError, match=name):
            kp.patches.textured_region(image, mask, **bad)


def test_textured_patches_lie_on_the_pattern_whatever_its_class():
    # The stripes labelled half top, half dress (a segmenter's split): one
    # square over both, named after the class of most of its pixels.
    names = kp.datasets.NINE_CLASSES
    labels = np.zeros((60, 80), np.uint8)
    labels[4:56, 4:42] = names.index("top")
    labels[30:56, 4:42] = names.index("dress")
    labels[4:56, 42:78] = names.index("pants")
    patches = kp.patches.textured_patches(
        striped_block(),
        labels,
        ("top", "dress", "pants"),
        label_names=names,
        per_region=2,
    )
    first = patches[0]
    top, left, bottom, right = first.box
    assert top < 30 < bottom and bottom - top >= 24
    assert top >= 12 - 5 and left >= 8 - 5 and bottom <= 48 + 5 and right <= 38 + 5
    inside = labels[top:bottom, left:right]
    majority = max(("top", "dress"), key=lambda n: (inside == names.index(n)).sum())
    assert first.class_name == majority
    assert 0 < first.coverage <= 1 and first.region_area >= (bottom - top) ** 2
    sides = [p.box[2] - p.box[0] for p in patches]
    assert sides == sorted(sides, reverse=True) and len(patches) <= 2
    for a, b in itertools.combinations(patches, 2):  # disjoint
        assert min(a.box[2], b.box[2]) <= max(a.box[0], b.box[0]) or min(
            a.box[3], b.box[3]
        ) <= max(a.box[1], b.box[1])
    assert not kp.patches.textured_patches(
        striped_block(), labels, "pants", label_names=names
    )
    with pytest.raises(ValueError, match="labels"):
        kp.patches.textured_patches(striped_block(), labels[:5], label_names=names)
