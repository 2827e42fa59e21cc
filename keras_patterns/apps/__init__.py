"""Applications built on the library: the demo, the training recipes, exports.

`keras_patterns.apps.recipes` trains each stage's model from scratch on the
synthetic data, against a budget of steps and seconds;
`keras_patterns.apps.demo` runs the whole method end to end (the
`keras-patterns demo` command); `keras_patterns.apps.export` writes a saved
grouper's segmenter and embedder as SavedModel, ONNX or LiteRT files for
deployment (the `keras-patterns export` command), and
`keras_patterns.apps.runtimes` runs those files without Keras. They sit
above the library: they may print and decide budgets, and nothing in the
library imports them.
"""
