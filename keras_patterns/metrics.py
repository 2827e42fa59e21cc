"""Public metrics, re-exported from the stage that defines each one."""

from keras_patterns.enhancement.sr_metrics import psnr
from keras_patterns.enhancement.sr_metrics import ssim
from keras_patterns.segmentation.deeplab_v3_plus import mean_iou_metric

__all__ = ["mean_iou_metric", "psnr", "ssim"]
