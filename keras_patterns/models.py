"""Public Keras models, re-exported from the stage that defines each one."""

from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus

__all__ = ["DeepLabV3Plus"]
