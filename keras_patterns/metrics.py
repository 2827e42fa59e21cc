"""Public metrics, re-exported from the stage that defines each one."""

from keras_patterns.embedding.retrieval_metrics import RecallAtK
from keras_patterns.embedding.retrieval_metrics import TripletStatistic
from keras_patterns.embedding.retrieval_metrics import evaluate_retrieval
from keras_patterns.enhancement.sr_metrics import psnr
from keras_patterns.enhancement.sr_metrics import ssim
from keras_patterns.segmentation.segmentation_metrics import mean_iou_metric

__all__ = [
    "RecallAtK",
    "TripletStatistic",
    "evaluate_retrieval",
    "mean_iou_metric",
    "psnr",
    "ssim",
]
