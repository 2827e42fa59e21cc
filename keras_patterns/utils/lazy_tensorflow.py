"""TensorFlow, imported when a `tf.data` pipeline is first built.

The Keras parts of the package run on JAX and PyTorch without TensorFlow;
only the input pipelines need it. Importing it lazily keeps
`import keras_patterns` working where TensorFlow is absent (a GPU machine
with JAX or PyTorch only), with a clear error if a pipeline is then used.
"""

import importlib
from typing import TYPE_CHECKING


class _LazyTensorFlow:
    _module = None

    def __getattr__(self, name):
        if _LazyTensorFlow._module is None:
            try:
                _LazyTensorFlow._module = importlib.import_module("tensorflow")
            except ImportError as error:
                raise ImportError(
                    "keras_patterns' tf.data pipelines need TensorFlow: "
                    "pip install tensorflow"
                ) from error
        return getattr(_LazyTensorFlow._module, name)


# Type checkers see the real module, so a quoted annotation such as
# "tf.data.Dataset" names its type; at run time `tf` stays lazy (and the
# annotation still resolves, importing TensorFlow, under get_type_hints).
if TYPE_CHECKING:
    import tensorflow as tf
else:
    tf = _LazyTensorFlow()
