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

from keras_patterns.modeling.backbones import dilated_clone
from keras_patterns.modeling.labels import CLOTHING_CLASSES
from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import INSHOP_COLORS
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.modeling.preprocessing import BackbonePreprocessing
from keras_patterns.modeling.upsampling import BicubicUpsampling
from keras_patterns.modeling.upsampling import BilinearUpsampling
from keras_patterns.modeling.upsampling import IntegerUpsampling
from keras_patterns.modeling.upsampling import NearestUpsampling

__all__ = [
    "CLOTHING_CLASSES",
    "IGNORE_LABEL",
    "INSHOP_CLASSES",
    "INSHOP_COLORS",
    "NINE_CLASSES",
    "BackbonePreprocessing",
    "BicubicUpsampling",
    "BilinearUpsampling",
    "IntegerUpsampling",
    "NearestUpsampling",
    "dilated_clone",
]
