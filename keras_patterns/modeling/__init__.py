"""Model parts shared by several stages, below all of them.

The stages do not import one another; what two of them need lives here:
`BackbonePreprocessing` (the input range of an ImageNet backbone, inside the
model), the upsampling layers that trace with unknown sizes
(`BilinearUpsampling`, `BicubicUpsampling`; `NearestUpsampling`, now
`keras.layers.UpSampling2D` under its old name),
`dilated_clone` (a functional network rebuilt with changed layer settings,
its weights kept), `dilation_plan` and `dilate` (the last stages of a
`keras.applications` or KerasHub backbone dilated to an output stride) and
the label tables in `keras_patterns.modeling.labels` (In-shop class names
and colours, the 9-class training set, `IGNORE_LABEL`). Users find each
one in the public namespaces too (`keras_patterns.layers`,
`keras_patterns.datasets`).
"""

from keras_patterns.modeling import labels
from keras_patterns.modeling.dilation import dilate
from keras_patterns.modeling.dilation import dilated_clone
from keras_patterns.modeling.dilation import dilation_plan
from keras_patterns.modeling.upsampling import IntegerUpsampling
from keras_patterns.utils.deprecation import alias_moved_module
from keras_patterns.utils.deprecation import moved_names

# Renamed in 0.2.0 (it dilates backbones; it holds none).
alias_moved_module(
    "keras_patterns.modeling.backbones", "keras_patterns.modeling.dilation"
)

__all__ = [
    "IntegerUpsampling",
    "dilate",
    "dilated_clone",
    "dilation_plan",
    "labels",
]

# Keras layers, models, losses and metrics have one public path each, in
# the namespace of their kind; the old paths here warn and forward.
__getattr__ = moved_names(
    __name__,
    {
        "BackbonePreprocessing": "keras_patterns.layers",
        "BicubicUpsampling": "keras_patterns.layers",
        "BilinearUpsampling": "keras_patterns.layers",
        "NearestUpsampling": "keras_patterns.layers",
    },
)
