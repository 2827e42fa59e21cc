"""Stage 3, enhancement: super-resolution of small patches with ESRGAN.

`RRDBNet` (the ESRGAN generator, x4/x2/x1, official checkpoints via
`RRDBNet.from_torch_checkpoint`), `VGGStyleDiscriminator`, the `ESRGAN`
training model with its `PerceptualLoss` and `RelativisticAverageLoss`,
`super_resolution_dataset` for training pairs, `upscale` for tiled
inference on images of any size, `upscale_patches` for many small patches
batched together, and `psnr_against_bicubic` to tell
whether a generator beats plain interpolation.
"""

from keras_patterns.enhancement.convert import load_state_dict
from keras_patterns.enhancement.sr_data import degrade
from keras_patterns.enhancement.sr_data import super_resolution_dataset
from keras_patterns.enhancement.sr_evaluation import psnr_against_bicubic
from keras_patterns.enhancement.upscale import upscale
from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.utils.deprecation import moved_names

__all__ = [
    "degrade",
    "load_state_dict",
    "psnr_against_bicubic",
    "super_resolution_dataset",
    "upscale",
    "upscale_patches",
]

# Keras layers, models, losses and metrics have one public path each, in
# the namespace of their kind; the old paths here warn and forward.
__getattr__ = moved_names(
    __name__,
    {
        "ESRGAN": "keras_patterns.models",
        "NearestUpsampling": "keras_patterns.layers",
        "PerceptualLoss": "keras_patterns.losses",
        "PixelUnshuffle": "keras_patterns.layers",
        "RRDB": "keras_patterns.layers",
        "RRDBNet": "keras_patterns.models",
        "RelativisticAverageLoss": "keras_patterns.losses",
        "ResidualDenseBlock": "keras_patterns.layers",
        "VGGStyleDiscriminator": "keras_patterns.models",
    },
)
