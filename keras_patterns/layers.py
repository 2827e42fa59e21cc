"""Public Keras layers, re-exported from the stage that defines each one."""

from keras_patterns.embedding.l2_normalize import L2Normalize

__all__ = ["L2Normalize"]
