"""Public Keras layers, re-exported from the stage (or the shared
`keras_patterns.modeling` package) that defines each one."""

from keras_patterns.embedding.augmentation_layers import RandomChannelShuffle
from keras_patterns.embedding.augmentation_layers import RandomGaussianNoise
from keras_patterns.embedding.augmentation_layers import RandomJpegQuality
from keras_patterns.embedding.augmentation_layers import RandomQuarterTurn
from keras_patterns.embedding.embedding_layers import GeneralizedMeanPooling
from keras_patterns.embedding.embedding_layers import ImageRangeScaling
from keras_patterns.embedding.embedding_layers import TokenPooling
from keras_patterns.embedding.l2_normalize import L2Normalize
from keras_patterns.enhancement.rrdb_layers import RRDB
from keras_patterns.enhancement.rrdb_layers import PixelUnshuffle
from keras_patterns.enhancement.rrdb_layers import ResidualDenseBlock
from keras_patterns.modeling.preprocessing import BackbonePreprocessing
from keras_patterns.modeling.upsampling import BicubicUpsampling
from keras_patterns.modeling.upsampling import BilinearUpsampling
from keras_patterns.modeling.upsampling import NearestUpsampling
from keras_patterns.segmentation.aspp import AtrousSpatialPyramidPooling
from keras_patterns.segmentation.deeplab_v3_plus_layers import CropToReference
from keras_patterns.segmentation.deeplab_v3_plus_layers import PadToMultiple

__all__ = [
    "AtrousSpatialPyramidPooling",
    "BackbonePreprocessing",
    "BicubicUpsampling",
    "BilinearUpsampling",
    "CropToReference",
    "GeneralizedMeanPooling",
    "ImageRangeScaling",
    "L2Normalize",
    "NearestUpsampling",
    "PadToMultiple",
    "PixelUnshuffle",
    "RRDB",
    "RandomChannelShuffle",
    "RandomGaussianNoise",
    "RandomJpegQuality",
    "RandomQuarterTurn",
    "ResidualDenseBlock",
    "TokenPooling",
]
