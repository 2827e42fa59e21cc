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
from keras_patterns.enhancement.discriminator import VGGStyleDiscriminator
from keras_patterns.enhancement.esrgan import ESRGAN
from keras_patterns.enhancement.rrdb_layers import RRDB
from keras_patterns.enhancement.rrdb_layers import PixelUnshuffle
from keras_patterns.enhancement.rrdb_layers import ResidualDenseBlock
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.enhancement.sr_data import degrade
from keras_patterns.enhancement.sr_data import super_resolution_dataset
from keras_patterns.enhancement.sr_evaluation import psnr_against_bicubic
from keras_patterns.enhancement.sr_losses import PerceptualLoss
from keras_patterns.enhancement.sr_losses import RelativisticAverageLoss
from keras_patterns.enhancement.upscale import upscale
from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.modeling.upsampling import NearestUpsampling

__all__ = [
    "ESRGAN",
    "NearestUpsampling",
    "PerceptualLoss",
    "PixelUnshuffle",
    "RRDB",
    "RRDBNet",
    "RelativisticAverageLoss",
    "ResidualDenseBlock",
    "VGGStyleDiscriminator",
    "degrade",
    "load_state_dict",
    "psnr_against_bicubic",
    "super_resolution_dataset",
    "upscale",
    "upscale_patches",
]
