"""Stage 1, segmentation: which pixels belong to which garment.

`DeepLabV3Plus` (dilated ResNet-50 or MobileNetV2 encoder, or any Keras
model), its `AtrousSpatialPyramidPooling` context module, the
`MaskedSparseCategoricalCrossentropy` loss that skips the ignore label and
its `median_frequency_weights`, `mean_iou_metric` (training) and `mean_iou`
(label maps), and `garment_labels` / `garment_label_maps`, which weigh a
catalogue's word on which garment a photo shows.
"""

from keras_patterns.segmentation.backbones import build_encoder
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.segmentation.garment_prior import garment_labels
from keras_patterns.segmentation.segmentation_losses import median_frequency_weights
from keras_patterns.segmentation.segmentation_metrics import mean_iou
from keras_patterns.utils.deprecation import moved_names

__all__ = [
    "build_encoder",
    "garment_label_maps",
    "garment_labels",
    "mean_iou",
    "median_frequency_weights",
]

# Keras layers, models, losses and metrics have one public path each, in
# the namespace of their kind; the old paths here warn and forward.
__getattr__ = moved_names(
    __name__,
    {
        "AtrousSpatialPyramidPooling": "keras_patterns.layers",
        "BackbonePreprocessing": "keras_patterns.layers",
        "BilinearUpsampling": "keras_patterns.layers",
        "CropToReference": "keras_patterns.layers",
        "DeepLabV3Plus": "keras_patterns.models",
        "MaskedSparseCategoricalCrossentropy": "keras_patterns.losses",
        "PadToMultiple": "keras_patterns.layers",
        "dilated_clone": "keras_patterns.modeling",
        "mean_iou_metric": "keras_patterns.metrics",
    },
)
