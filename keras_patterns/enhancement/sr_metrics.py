"""PSNR and SSIM as super-resolution papers report them (NumPy)."""

import numpy as np
from scipy import ndimage

from keras_patterns.utils.images import to_float
from keras_patterns.utils.typing import ArrayLike


def rgb_to_y(image: ArrayLike) -> np.ndarray:
    """ITU-R BT.601 luma in [16/255, 235/255] of RGB images in [0, 1] (MATLAB's).

    Args:
        image: float RGB images in [0, 1], `(..., 3)`.

    Returns:
        The float64 luma, of the input's shape without its last axis.
    """
    image = np.asarray(image, np.float64)
    weights = np.array([65.481, 128.553, 24.966]) / 255.0
    return image @ weights + 16.0 / 255.0


def _prepare(a, b, y_channel, crop_border):
    a = to_float(a, "a").astype(np.float64)
    b = to_float(b, "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f'"a" and "b" must have the same shape. Received {a.shape} and {b.shape}'
        )
    if y_channel:
        if a.shape[-1] != 3:
            raise ValueError(
                f"y_channel=True needs RGB images. Received shape {a.shape}"
            )
        a, b = rgb_to_y(a)[..., None], rgb_to_y(b)[..., None]
    if crop_border:
        a = a[..., crop_border:-crop_border, crop_border:-crop_border, :]
        b = b[..., crop_border:-crop_border, crop_border:-crop_border, :]
    return a, b


def psnr(
    a: ArrayLike, b: ArrayLike, y_channel: bool = False, crop_border: int = 0
) -> float:
    """Peak signal-to-noise ratio in dB between images in [0, 1] (or uint8).

    Args:
        a, b: images `(H, W, C)` or batches `(N, H, W, C)`, uint8 or float
            in [0, 1]; a batch gives the mean PSNR of its images.
        y_channel: compare the BT.601 luma only, as SR papers do.
        crop_border: pixels shaved off every side first (the scale, by
            convention).

    Returns:
        The PSNR in dB (the mean over a batch).

    Example:

    >>> import numpy as np
    >>> from keras_patterns.metrics import psnr
    >>> round(psnr(np.zeros((4, 4, 3)), np.full((4, 4, 3), 0.1)), 2)
    20.0
    """
    a, b = _prepare(a, b, y_channel, crop_border)
    axes = tuple(range(a.ndim - 3, a.ndim))
    mse = np.mean((a - b) ** 2, axis=axes)
    values = 10.0 * np.log10(1.0 / np.maximum(mse, 1e-12))
    return float(np.mean(values))


def _ssim_channel(x, y):
    """SSIM of two 2-D float images in [0, 255], Gaussian window 11, sigma 1.5."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return ndimage.gaussian_filter(z, 1.5, truncate=3.5, mode="constant")[
            5:-5, 5:-5
        ]

    mu_x, mu_y = blur(x), blur(y)
    sigma_x = blur(x * x) - mu_x**2
    sigma_y = blur(y * y) - mu_y**2
    sigma_xy = blur(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (sigma_x + sigma_y + c2)
    )
    return ssim_map.mean()


def ssim(
    a: ArrayLike, b: ArrayLike, y_channel: bool = False, crop_border: int = 0
) -> float:
    """Structural similarity (Wang et al. 2004) as SR papers compute it.

    Gaussian window of 11 pixels with sigma 1.5, constants K1 = 0.01 and
    K2 = 0.03 on the 0-255 range, valid region only, averaged over
    channels (and images).

    Args:
        a, b: images `(H, W, C)` or batches, uint8 or float in [0, 1].
        y_channel: compare the BT.601 luma only.
        crop_border: pixels shaved off every side first.

    Returns:
        The SSIM, at most 1 (the mean over channels and images).

    Example:

    >>> import numpy as np
    >>> from keras_patterns.metrics import ssim
    >>> image = np.random.default_rng(0).random((32, 32, 3))
    >>> ssim(image, image)
    1.0
    """
    a, b = _prepare(a, b, y_channel, crop_border)
    a, b = a.reshape(-1, *a.shape[-3:]) * 255.0, b.reshape(-1, *b.shape[-3:]) * 255.0
    if min(a.shape[1:3]) < 11:
        raise ValueError(
            f"SSIM needs images of at least 11x11 pixels. Received {a.shape[1:3]}"
        )
    values = [
        _ssim_channel(x[..., c], y[..., c])
        for x, y in zip(a, b, strict=True)
        for c in range(a.shape[-1])
    ]
    return float(np.round(np.mean(values), 10))
