"""How much a super-resolution generator adds over bicubic interpolation."""

import keras
import numpy as np

from keras_patterns.enhancement.sr_data import degrade
from keras_patterns.enhancement.sr_metrics import psnr
from keras_patterns.enhancement.upscale import upscale
from keras_patterns.utils.images import to_float
from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import ArrayLike


def psnr_against_bicubic(
    generator: keras.Model,
    images: ArrayLike,
    scale: int = 4,
    tile: int = 32,
    overlap: int = 8,
) -> tuple[float, float]:
    """PSNR `(generator, bicubic)` in dB, restoring degraded `images`.

    Each high-resolution image is degraded by `degrade` (bicubic
    downsampling by `scale`), upscaled back by the generator (`upscale`,
    tiled) and by bicubic interpolation, and both are compared with the
    original on the Y channel with `scale` pixels shaved off every side, as
    super-resolution papers report PSNR. A generator worth using scores
    above bicubic.

    Args:
        generator: a super-resolution model (`RRDBNet`) of factor `scale`.
        images: `(N, H, W, 3)` uint8 or float [0, 1] high-resolution
            images, `H` and `W` multiples of `scale`.
        scale: the generator's factor.
        tile: tile side for `upscale`, in low-resolution pixels.
        overlap: tile overlap for `upscale`.

    Returns:
        `(generator_db, bicubic_db)`, the mean PSNR over the images.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> from keras_patterns.enhancement import psnr_against_bicubic
    >>> net = kp.models.RRDBNet(4, num_blocks=1, filters=8, growth=4,
    ...                         image_residual=True)
    >>> images = kp.datasets.make_pattern_patches(2, (32, 32))["images"]
    >>> ours, bicubic = psnr_against_bicubic(net, images)
    >>> abs(ours - bicubic) < 1e-3  # untrained with image_residual: bicubic
    True
    """
    high = to_float(images, "images", batched=True, channels=(3,))
    height, width = high.shape[1:3]
    low = degrade(tf.constant(high), scale).numpy()
    bicubic = np.clip(
        tf.image.resize(low, (height, width), method="bicubic").numpy(), 0, 1
    )
    network = upscale(generator, low, tile=tile, overlap=overlap)
    return (
        psnr(network, high, y_channel=True, crop_border=scale),
        psnr(bicubic, high, y_channel=True, crop_border=scale),
    )
