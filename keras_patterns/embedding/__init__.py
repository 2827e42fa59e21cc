"""Stage 4, embedding: patches to vectors where similar patterns are close.

`PatternEmbedder` (backbone, generalised-mean pooling, projection,
`L2Normalize`), the triplet losses (semi-hard, batch-hard, batch-all and
explicit triplets) with O(B^2) mining, `SiameseModel` to train with
`fit()` while watching for collapse, pattern augmentation, and retrieval
metrics (`RecallAtK`, `evaluate_retrieval`), and two trainers of a texture-CNN
embedder: from labelled patches (`train_pattern_embedder`) or from a
catalogue's unlabelled ones (`train_embedder_on_patches`).
"""

from keras_patterns.embedding.augmentation import pattern_augmentation
from keras_patterns.embedding.augmentation import pattern_augmentation_layers
from keras_patterns.embedding.distances import pairwise_distances
from keras_patterns.embedding.pattern_embedder import texture_cnn
from keras_patterns.embedding.training import train_embedder_on_patches
from keras_patterns.embedding.training import train_pattern_embedder
from keras_patterns.utils.deprecation import moved_names

__all__ = [
    "pairwise_distances",
    "pattern_augmentation",
    "pattern_augmentation_layers",
    "texture_cnn",
    "train_embedder_on_patches",
    "train_pattern_embedder",
]

# Keras layers, models, losses and metrics have one public path each, in
# the namespace of their kind; the old paths here warn and forward.
__getattr__ = moved_names(
    __name__,
    {
        "GeneralizedMeanPooling": "keras_patterns.layers",
        "ImageRangeScaling": "keras_patterns.layers",
        "L2Normalize": "keras_patterns.layers",
        "PatternEmbedder": "keras_patterns.models",
        "RecallAtK": "keras_patterns.metrics",
        "SiameseModel": "keras_patterns.models",
        "TokenPooling": "keras_patterns.layers",
        "TripletBatchAllLoss": "keras_patterns.losses",
        "TripletHardLoss": "keras_patterns.losses",
        "TripletLoss": "keras_patterns.losses",
        "TripletSemiHardLoss": "keras_patterns.losses",
        "TripletStatistic": "keras_patterns.metrics",
        "evaluate_retrieval": "keras_patterns.metrics",
    },
)
