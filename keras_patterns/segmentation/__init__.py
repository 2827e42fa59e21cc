"""Stage 1, segmentation: which pixels belong to which garment.

`DeepLabV3Plus` (dilated ResNet-50 or MobileNetV2 encoder, or any Keras
model), its `AtrousSpatialPyramidPooling` context module, the
`MaskedSparseCategoricalCrossentropy` loss that skips the ignore label and
its `median_frequency_weights`, `mean_iou_metric` (training) and `mean_iou`
(label maps), and `garment_labels` / `garment_label_maps`, which weigh a
catalogue's word on which garment a photo shows.
"""

from keras_patterns.modeling.dilation import dilated_clone
from keras_patterns.modeling.preprocessing import BackbonePreprocessing
from keras_patterns.modeling.upsampling import BilinearUpsampling
from keras_patterns.segmentation.aspp import AtrousSpatialPyramidPooling
from keras_patterns.segmentation.backbones import build_encoder
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus
from keras_patterns.segmentation.deeplab_v3_plus_layers import CropToReference
from keras_patterns.segmentation.deeplab_v3_plus_layers import PadToMultiple
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.segmentation.garment_prior import garment_labels
from keras_patterns.segmentation.segmentation_losses import (
    MaskedSparseCategoricalCrossentropy,
)
from keras_patterns.segmentation.segmentation_losses import median_frequency_weights
from keras_patterns.segmentation.segmentation_metrics import mean_iou
from keras_patterns.segmentation.segmentation_metrics import mean_iou_metric

__all__ = [
    "AtrousSpatialPyramidPooling",
    "BackbonePreprocessing",
    "BilinearUpsampling",
    "CropToReference",
    "DeepLabV3Plus",
    "MaskedSparseCategoricalCrossentropy",
    "PadToMultiple",
    "build_encoder",
    "dilated_clone",
    "garment_label_maps",
    "garment_labels",
    "mean_iou",
    "mean_iou_metric",
    "median_frequency_weights",
]
