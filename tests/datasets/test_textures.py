import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.datasets.synthetic import textures
from keras_patterns.datasets.synthetic.textures import TEXTURE_FAMILIES
from keras_patterns.datasets.synthetic.textures import make_texture_patches
from keras_patterns.datasets.synthetic.textures import render_texture
from keras_patterns.datasets.synthetic.textures import sample_texture

SIZE = (32, 32)
KINDS = {
    "stripes": {"regular", "irregular", "pinstripe", "shaded"},
    "checks_grid": {
        "tiles",
        "lattice",
        "gingham",
        "windowpane",
        "graph",
        "checkerboard",
        "plaid",
    },
    "dots": {"grid", "hex", "random"},
    "wavy": {"sine", "flow", "ripple", "moire"},
    "camouflage": {"woodland", "digital", "desert", "brush"},
    "animal_print": {
        "leopard",
        "cheetah",
        "zebra",
        "giraffe",
        "snake",
        "croc",
        "ermine",
    },
    "floral_foliage": {"foliage", "tropical", "flowers", "printed"},
    "wood": {"flat", "straight", "end", "knotty"},
    "marble_granite": {"marble", "granite", "stone", "flagstone"},
    "weave": {"plain", "burlap", "twill", "basket", "herringbone", "knit"},
}


def _grid(size=48, scale=1.0):
    v, u = np.mgrid[0:size, 0:size].astype(np.float32) / scale
    return u, v


def _spec_of_kind(family, kind, **overrides):
    for seed in range(500):
        spec = sample_texture(family, np.random.default_rng(seed))
        if spec["kind"] == kind:
            spec.update(recolor=None, **overrides)
            return spec
    raise AssertionError(f"no {family} spec of kind {kind}")


@pytest.fixture(scope="module")
def patches():
    return make_texture_patches(20, SIZE, seed=3, views_per_item=2)


def test_shapes_types_and_labels(patches):
    assert patches["images"].shape == (20, *SIZE, 3)
    assert patches["images"].dtype == np.uint8
    assert patches["family"].shape == patches["item_id"].shape == (20,)
    assert patches["family_names"] == TEXTURE_FAMILIES == tuple(KINDS)
    np.testing.assert_array_equal(patches["item_id"], np.repeat(np.arange(10), 2))
    np.testing.assert_array_equal(patches["family"][0::2], np.arange(10))


def test_deterministic_and_independent_of_n(patches):
    again = make_texture_patches(20, SIZE, seed=3, views_per_item=2)
    np.testing.assert_array_equal(again["images"], patches["images"])
    prefix = make_texture_patches(5, SIZE, seed=3, views_per_item=2)
    np.testing.assert_array_equal(prefix["images"], patches["images"][:5])
    other = make_texture_patches(5, SIZE, seed=4, views_per_item=2)
    assert not np.array_equal(other["images"], patches["images"][:5])


def test_views_share_their_item_family_but_not_pixels(patches):
    np.testing.assert_array_equal(patches["family"][0::2], patches["family"][1::2])
    for i in range(0, 20, 2):
        assert not np.array_equal(patches["images"][i], patches["images"][i + 1])


def test_family_subsets_by_name_or_index():
    data = make_texture_patches(4, (16, 16), families=["wood", 9])
    assert data["family"].tolist() == [7, 9, 7, 9]


@pytest.mark.parametrize("family", TEXTURE_FAMILIES)
def test_every_kind_of_every_family_renders_a_varied_texture(family):
    kinds = {
        sample_texture(family, np.random.default_rng(s))["kind"] for s in range(300)
    }
    assert kinds == KINDS[family]
    u, v = _grid()
    for kind in sorted(kinds):
        image = render_texture(_spec_of_kind(family, kind), u, v, 1.0)
        assert image.shape == (48, 48, 3) and image.dtype == np.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
        assert image.std(axis=(0, 1)).max() > 0.02, kind
    first, second = (
        render_texture(sample_texture(family, np.random.default_rng(s)), u, v)
        for s in (1, 2)
    )
    assert np.abs(first - second).mean() > 0.02


def test_a_name_and_its_index_draw_the_same_texture():
    u, v = _grid(16)
    by_name = sample_texture("wood", np.random.default_rng(5))
    by_index = sample_texture(np.int64(7), np.random.default_rng(5))
    np.testing.assert_array_equal(
        render_texture(by_name, u, v), render_texture(by_index, u, v)
    )


@pytest.mark.parametrize("family", ["paisley", 10, -1, 1.0, True, None])
def test_unknown_family_names_the_argument(family):
    with pytest.raises(ValueError, match='"family"'):
        sample_texture(family, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"families": ["wood", "paisley"]}, "families"),
        ({"families": [12]}, "families"),
        ({"families": []}, "families"),
        ({"n": 0}, "n"),
        ({"size": (2, 2)}, "size"),
        ({"scale_range": (0.0, 1.0)}, "scale_range"),
        ({"views_per_item": 0}, "views_per_item"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    kwargs = {"n": 2, **kwargs}
    with pytest.raises(ValueError, match=f'"{name}"'):
        make_texture_patches(**kwargs)


def test_straight_stripes_at_angle_zero_are_constant_along_the_stripes():
    spec = _spec_of_kind("stripes", "regular", angle=0.0, wobble=0.0, grain=0.0)
    image = render_texture(spec, *_grid())
    assert np.ptp(image, axis=1).max() < 1e-5
    assert np.ptp(image, axis=0).max() > 0.1


def test_a_checkerboard_at_angle_zero_repeats_every_two_squares():
    spec = _spec_of_kind("checks_grid", "checkerboard", angle=0.0, grain=0.0)
    spec["offset"] = np.array([3.0, 5.0])
    u, v = _grid()
    p = np.float32(spec["period"])
    image = render_texture(spec, u, v)
    np.testing.assert_allclose(render_texture(spec, u + 2 * p, v), image, atol=1e-3)
    np.testing.assert_allclose(render_texture(spec, u, v + 2 * p), image, atol=1e-3)
    shifted = render_texture(spec, u + p, v)
    assert np.abs(shifted - image).max() > 0.1


def test_fractal_noise_is_standardised_and_periodic():
    table = textures.noise_table(np.random.default_rng(0))
    u, v = _grid(256, 0.5)
    noise = textures.fractal_noise(u, v, 4.0, table)
    assert abs(noise.mean()) < 0.15 and 0.8 < noise.std() < 1.2
    period = np.float32(textures.NOISE_SIZE * 4.0)
    again = textures.fractal_noise(u + period, v - period, 4.0, table)
    np.testing.assert_allclose(again, noise, atol=1e-3)


def test_domain_warp_moves_points_by_about_the_amount():
    table = textures.noise_table(np.random.default_rng(1))
    u, v = _grid(128)
    wu, wv = textures.domain_warp(u, v, 16.0, 3.0, table)
    assert 2.0 < np.std(wu - u) < 4.0 and 2.0 < np.std(wv - v) < 4.0
    assert np.abs((wu - u) - (wv - v)).mean() > 0.5


def test_relief_lights_slopes_that_face_the_light():
    assert np.allclose(textures.relief(np.zeros((8, 8)), 1.0, 1.0, 0.3), 1.0)
    rising = np.tile(np.arange(8, dtype=np.float32), (8, 1)) * 0.3
    from_left = textures.relief(rising, 1.0, 1.0, np.pi)
    from_right = textures.relief(rising, 1.0, 1.0, 0.0)
    assert from_left.min() > 1.0 > from_right.max() >= 0.2


def test_exported_from_the_public_namespaces():
    assert kp.datasets.TEXTURE_FAMILIES == TEXTURE_FAMILIES
    assert kp.datasets.make_texture_patches is make_texture_patches
    assert kp.datasets.synthetic.sample_texture is sample_texture
    assert kp.datasets.synthetic.render_texture is render_texture
