"""Public Keras models, re-exported from the stage that defines each one."""

from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.embedding.siamese_model import SiameseModel
from keras_patterns.enhancement.discriminator import VGGStyleDiscriminator
from keras_patterns.enhancement.esrgan import ESRGAN
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus

__all__ = [
    "DeepLabV3Plus",
    "ESRGAN",
    "PatternEmbedder",
    "RRDBNet",
    "SiameseModel",
    "VGGStyleDiscriminator",
]
