"""TensorFlow, imported when a `tf.data` pipeline is first built.

The Keras parts of the package run on JAX and PyTorch without TensorFlow;
only the input pipelines need it. Importing it lazily keeps
`import keras_patterns` working where TensorFlow is absent (a GPU machine
with JAX or PyTorch only), with a clear error if a pipeline is then used.
"""

import importlib


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


tf = _LazyTensorFlow()
