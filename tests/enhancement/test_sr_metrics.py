"""`ssim` and `psnr` against independent references (scikit-image, by hand)."""

import numpy as np
import pytest
from scipy import ndimage
from skimage.color import rgb2ycbcr
from skimage.metrics import structural_similarity

from keras_patterns.metrics import psnr
from keras_patterns.metrics import ssim

pytestmark = pytest.mark.backend_independent

# Both sides compute Wang et al.'s SSIM in float64 on the same float32 pixels,
# with the same 11-tap Gaussian (sigma 1.5, truncated at 3.5 sigma) over the
# same valid region (scikit-image crops the 5 padded pixels of each border);
# `ssim` rounds to 10 decimals (an error of at most 5e-11), so 1e-9 leaves
# room for summation order only. A wrong constant, window or border shifts
# the value by 1e-4 or more.
TOLERANCE = 1e-9


def reference(a, b, data_range=1.0):
    """scikit-image's SSIM, configured as Wang et al. (2004) and SR papers."""
    return structural_similarity(
        np.asarray(a, np.float64),
        np.asarray(b, np.float64),
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=-1 if np.ndim(a) == 3 else None,
    )


def pairs():
    """An image and four others: unrelated, blurred, noisy, dimmer."""
    rng = np.random.default_rng(0)
    image = rng.random((24, 31, 3)).astype(np.float32)
    other = rng.random((24, 31, 3)).astype(np.float32)
    blurred = ndimage.gaussian_filter(image, (1.0, 1.0, 0)).astype(np.float32)
    noisy = np.clip(image + rng.normal(0, 0.1, image.shape), 0, 1).astype(np.float32)
    dimmer = (0.7 * image + 0.1).astype(np.float32)
    return image, {"random": other, "blurred": blurred, "noisy": noisy, "dim": dimmer}


@pytest.mark.parametrize("name", ["random", "blurred", "noisy", "dim"])
def test_ssim_equals_scikit_image(name):
    image, others = pairs()
    other = others[name]
    expected = reference(image, other)
    assert ssim(image, other) == pytest.approx(expected, abs=TOLERANCE)
    assert ssim(other, image) == pytest.approx(expected, abs=TOLERANCE)


def test_ssim_of_uint8_batches_and_luma_equals_scikit_image():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (2, 20, 23, 3), dtype=np.uint8)
    noise = rng.integers(-40, 41, a.shape)
    b = np.clip(a.astype(int) + noise, 0, 255).astype(np.uint8)
    # A batch: the mean of its images' SSIMs. The uint8 -> float32 -> x255
    # round trip moves pixels by up to 3e-5 grey levels: 1e-8 covers it.
    expected = np.mean([reference(x, y, 255) for x, y in zip(a, b, strict=True)])
    assert ssim(a, b) == pytest.approx(expected, abs=1e-8)
    # Luma (BT.601, as MATLAB's rgb2ycbcr), 2 pixels shaved off each border.
    luma = [rgb2ycbcr(x)[2:-2, 2:-2, 0] for x in (a[0], b[0])]
    expected = reference(*luma, data_range=255)
    assert ssim(a[0], b[0], y_channel=True, crop_border=2) == pytest.approx(
        expected, abs=1e-8
    )


def test_ssim_of_two_constant_images_by_hand():
    """Constant images: sigma = 0, so SSIM = (2 mu_x mu_y + C1) / (mu_x^2 +
    mu_y^2 + C1), with C1 = (0.01 * 255)^2 = 6.5025 on the 0-255 range."""
    a, b = np.full((12, 12, 1), 100, np.uint8), np.full((12, 12, 1), 120, np.uint8)
    expected = (2 * 100 * 120 + 6.5025) / (100**2 + 120**2 + 6.5025)  # 0.98361...
    assert ssim(a, b) == pytest.approx(expected, abs=1e-8)
    with pytest.raises(ValueError, match="11x11"):
        ssim(a[:10], b[:10])


def test_psnr_by_hand():
    # MSE (0.1^2 on half the pixels) = 0.005: 10 log10(1 / 0.005) = 23.0103 dB.
    a = np.zeros((4, 4, 3), np.float32)
    b = a.copy()
    b[:2] = 0.1
    assert psnr(a, b) == pytest.approx(10 * np.log10(200), abs=1e-5)
