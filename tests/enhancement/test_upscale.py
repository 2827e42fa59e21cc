import keras
import numpy as np
import pytest

import keras_patterns as kp

RNG = np.random.default_rng(0)


def small(scale=4, seed=0):
    model = kp.models.RRDBNet(scale=scale, num_blocks=1, filters=8, growth=4)
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.2, weight.shape))
    return model


def untiled(model, image, clip=True):
    multiple = model.input_multiple
    pad = [(0, (-image.shape[0]) % multiple), (0, (-image.shape[1]) % multiple), (0, 0)]
    padded = np.pad(image, pad, mode="reflect")
    out = keras.ops.convert_to_numpy(model(padded[None]))[0]
    out = out[: image.shape[0] * model.scale, : image.shape[1] * model.scale]
    return np.clip(out, 0, 1) if clip else out


@pytest.mark.parametrize("scale", [4, 2, 1])
def test_tiled_equals_untiled_with_enough_overlap(scale):
    model = small(scale)
    image = RNG.random((37, 45, 3)).astype("float32")
    tiled = kp.enhancement.upscale(
        model, image, tile=16, overlap=model.receptive_radius
    )
    assert tiled.shape == (37 * scale, 45 * scale, 3) and tiled.dtype == np.float32
    np.testing.assert_allclose(tiled, untiled(model, image), atol=1e-4, rtol=0)


def test_no_seam_on_a_smooth_gradient_with_the_default_overlap():
    model = kp.models.RRDBNet(
        scale=4, num_blocks=2, filters=16, growth=8
    )  # default init
    y, x = np.mgrid[0:64, 0:80].astype("float32")
    image = np.stack([x / 80, y / 64, (x + y) / 144], axis=-1)
    reference = keras.ops.convert_to_numpy(model(image[None]))[0]
    tiled = kp.enhancement.upscale(model, image, tile=24, overlap=16)
    inside = (reference >= 0) & (reference <= 1)
    assert np.abs(tiled - reference)[inside].max() < 0.5 / 255
    # Across each tile border (rows and columns), the step between the two
    # output pixels is the untiled run's step there: no seam. (Overlap 0
    # leaves steps 10 grey levels off.)
    clipped = np.clip(reference, 0, 1)
    for axis in (0, 1):
        borders = [24 * 4 * k - 1 for k in (1, 2, 3) if 24 * 4 * k < tiled.shape[axis]]
        steps = np.take(np.diff(tiled, axis=axis), borders, axis=axis)
        expected = np.take(np.diff(clipped, axis=axis), borders, axis=axis)
        assert np.abs(steps - expected).max() < 0.1 / 255


def box_then_nearest(radius, scale):
    """A known upscaler: a (2 radius + 1)^2 box mean (zero padding), then
    nearest-neighbour upsampling by `scale`."""
    size = 2 * radius + 1
    box = keras.layers.DepthwiseConv2D(size, padding="same", use_bias=False)
    model = keras.Sequential(
        [keras.Input((None, None, 3)), box, keras.layers.UpSampling2D(scale)]
    )
    box.set_weights([np.full((size, size, 3, 1), 1 / size**2, "float32")])
    return model


def test_tiles_of_a_known_upscaler_give_the_hand_computed_image():
    image = RNG.random((13, 11, 3)).astype("float32")
    # By hand: each pixel is the mean of its 5x5 neighbourhood (zeros outside
    # the image), then repeated into a 2x2 block.
    padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))
    mean = np.mean(
        [padded[i : i + 13, j : j + 11] for i in range(5) for j in range(5)], axis=0
    )
    expected = mean.repeat(2, axis=0).repeat(2, axis=1)
    model = box_then_nearest(radius=2, scale=2)
    out = kp.enhancement.upscale(model, image, tile=4, overlap=2)
    np.testing.assert_allclose(out, expected, atol=1e-6, rtol=0)
    # One pixel of context short of the radius: tiles see zeros at the seams.
    short = kp.enhancement.upscale(model, image, tile=4, overlap=1)
    assert np.abs(short - expected).max() > 0.05


def test_uint8_grey_rgba_lists_and_batches():
    model = small(4)
    rgb = RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    out = kp.enhancement.upscale(model, rgb, tile=8)
    assert out.dtype == np.uint8 and out.shape == (36, 28, 3)
    expected = np.round(untiled(model, rgb / np.float32(255)) * 255)
    assert np.abs(out.astype(int) - expected).max() <= 1
    grey = RNG.integers(0, 256, (6, 5), dtype=np.uint8)
    assert kp.enhancement.upscale(model, grey).shape == (24, 20)
    rgba = RNG.random((6, 5, 4)).astype("float32")
    out = kp.enhancement.upscale(model, rgba)
    assert out.shape == (24, 20, 4)
    alpha = np.clip(
        untiled(model, np.repeat(rgba[..., 3:], 3, -1), clip=False).mean(-1), 0, 1
    )
    np.testing.assert_allclose(out[..., 3], alpha, atol=1e-4)
    bicubic = kp.enhancement.upscale(model, rgba, alpha="bicubic")
    np.testing.assert_allclose(bicubic[..., :3], out[..., :3])
    sizes = kp.enhancement.upscale(model, [rgb, rgb[:4, :3]])
    assert [s.shape for s in sizes] == [(36, 28, 3), (16, 12, 3)]
    batch = kp.enhancement.upscale(model, np.stack([rgb, rgb]))
    assert batch.shape == (2, 36, 28, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image": np.zeros((4, 4, 3)) + 3.0}, "image"),
        ({"image": np.zeros((4, 4, 5), np.uint8)}, "image"),
        ({"tile": 0}, "tile"),
        ({"overlap": -1}, "overlap"),
        ({"alpha": "nearest"}, "alpha"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"generator": small(4), "image": np.zeros((4, 4, 3), np.uint8)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        kp.enhancement.upscale(**args)


def test_tile_must_fit_pixel_unshuffle():
    with pytest.raises(ValueError, match="multiple of 4"):
        kp.enhancement.upscale(small(1), np.zeros((8, 8, 3), np.uint8), tile=6)


def test_upscale_patches_batches_sizes_and_changes_only_the_padded_edge():
    model = small(4)
    rng = np.random.default_rng(3)
    sizes = [(16, 16), (24, 16), (13, 19), (16, 16), (7, 7), (150, 20), (60, 45)]
    patches = [rng.random((*size, 3)).astype("float32") for size in sizes]
    out = kp.enhancement.upscale_patches(model, patches, pad_to=8, batch_size=2)
    radius = model.receptive_radius
    for patch, result in zip(patches, out, strict=True):
        height, width = patch.shape[:2]
        assert result.shape == (4 * height, 4 * width, 3) and result.dtype == np.float32
        exact = untiled(model, patch)
        if height % 8 == 0 and width % 8 == 0 or max(height, width) > 128:
            np.testing.assert_allclose(result, exact, atol=1e-4)
        # Away from the reflect-padded bottom and right edges, the pixels are
        # the patch's own upscaling.
        keep_h, keep_w = 4 * max(0, height - radius), 4 * max(0, width - radius)
        np.testing.assert_allclose(
            result[:keep_h, :keep_w], exact[:keep_h, :keep_w], atol=1e-4
        )
    uint8 = kp.enhancement.upscale_patches(
        model, [np.round(p * 255).astype(np.uint8) for p in patches[:2]]
    )
    assert [u.dtype for u in uint8] == [np.uint8] * 2
    with pytest.raises(ValueError, match=r"patches\[1\]"):
        kp.enhancement.upscale_patches(model, [patches[0], np.zeros((8, 8))])
