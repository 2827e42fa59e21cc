"""Model parts shared by several stages, below all of them.

The stages do not import one another; what two of them need lives here:
`BackbonePreprocessing` (the input range of an ImageNet backbone, inside the
model), the upsampling layers that trace with unknown sizes
(`NearestUpsampling`, `BilinearUpsampling`, `BicubicUpsampling`),
`dilated_clone` (a `keras.applications` network rebuilt with changed layer
settings, its weights kept) and the label tables in
`keras_patterns.modeling.labels` (In-shop class names and colours, the
9-class training set, `IGNORE_LABEL`). Users find each one in the public
namespaces too (`keras_patterns.layers`, `keras_patterns.datasets`).
"""

from keras_patterns.modeling import labels
from keras_patterns.modeling.backbones import dilated_clone
from keras_patterns.modeling.preprocessing import BackbonePreprocessing
from keras_patterns.modeling.upsampling import BicubicUpsampling
from keras_patterns.modeling.upsampling import BilinearUpsampling
from keras_patterns.modeling.upsampling import IntegerUpsampling
from keras_patterns.modeling.upsampling import NearestUpsampling

__all__ = [
    "BackbonePreprocessing",
    "BicubicUpsampling",
    "BilinearUpsampling",
    "IntegerUpsampling",
    "NearestUpsampling",
    "dilated_clone",
    "labels",
]
