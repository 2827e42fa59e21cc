"""Stage 4, embedding: patches to vectors where similar patterns are close."""

from keras_patterns.embedding.l2_normalize import L2Normalize

__all__ = ["L2Normalize"]
