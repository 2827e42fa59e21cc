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
from keras_patterns.embedding.embedding_layers import GeneralizedMeanPooling
from keras_patterns.embedding.embedding_layers import ImageRangeScaling
from keras_patterns.embedding.embedding_layers import TokenPooling
from keras_patterns.embedding.l2_normalize import L2Normalize
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.embedding.pattern_embedder import texture_cnn
from keras_patterns.embedding.retrieval_metrics import RecallAtK
from keras_patterns.embedding.retrieval_metrics import TripletStatistic
from keras_patterns.embedding.retrieval_metrics import evaluate_retrieval
from keras_patterns.embedding.siamese_model import SiameseModel
from keras_patterns.embedding.training import train_embedder_on_patches
from keras_patterns.embedding.training import train_pattern_embedder
from keras_patterns.embedding.triplet_losses import TripletBatchAllLoss
from keras_patterns.embedding.triplet_losses import TripletHardLoss
from keras_patterns.embedding.triplet_losses import TripletLoss
from keras_patterns.embedding.triplet_losses import TripletSemiHardLoss

__all__ = [
    "GeneralizedMeanPooling",
    "ImageRangeScaling",
    "L2Normalize",
    "PatternEmbedder",
    "RecallAtK",
    "SiameseModel",
    "TokenPooling",
    "TripletBatchAllLoss",
    "TripletHardLoss",
    "TripletLoss",
    "TripletSemiHardLoss",
    "TripletStatistic",
    "evaluate_retrieval",
    "pairwise_distances",
    "pattern_augmentation",
    "pattern_augmentation_layers",
    "texture_cnn",
    "train_embedder_on_patches",
    "train_pattern_embedder",
]
