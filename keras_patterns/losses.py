"""Public Keras losses, re-exported from the stage that defines each one."""

from keras_patterns.embedding.triplet_losses import TripletBatchAllLoss
from keras_patterns.embedding.triplet_losses import TripletHardLoss
from keras_patterns.embedding.triplet_losses import TripletLoss
from keras_patterns.embedding.triplet_losses import TripletSemiHardLoss
from keras_patterns.enhancement.sr_losses import PerceptualLoss
from keras_patterns.enhancement.sr_losses import RelativisticAverageLoss
from keras_patterns.segmentation.segmentation_losses import (
    MaskedSparseCategoricalCrossentropy,
)

__all__ = [
    "MaskedSparseCategoricalCrossentropy",
    "PerceptualLoss",
    "RelativisticAverageLoss",
    "TripletBatchAllLoss",
    "TripletHardLoss",
    "TripletLoss",
    "TripletSemiHardLoss",
]
