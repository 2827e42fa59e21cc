"""Data: DeepFashion In-shop readers, preparation, pipelines, synthetic scenes.

Everything a later stage trains or runs on comes from here: the In-shop class
table and mask conversions, `load_inshop` for both on-disk layouts,
`prepare_inshop` to convert the original layout to the flat one, `tf.data`
pipelines, and the synthetic patterned garments that are the embedded
default data set.
"""

from keras_patterns.datasets.inshop import InshopRecord
from keras_patterns.datasets.inshop import InshopRecords
from keras_patterns.datasets.inshop import load_inshop
from keras_patterns.datasets.inshop import read_mask
from keras_patterns.datasets.inshop_classes import UnknownMaskColorError
from keras_patterns.datasets.inshop_classes import class_lookup_table
from keras_patterns.datasets.inshop_classes import labels_to_rgb
from keras_patterns.datasets.inshop_classes import remap_classes
from keras_patterns.datasets.inshop_classes import rgb_mask_to_labels
from keras_patterns.datasets.inshop_layout import PrepareSummary
from keras_patterns.datasets.inshop_lists import read_manifest
from keras_patterns.datasets.pipelines import segmentation_dataset
from keras_patterns.datasets.pipelines import triplet_dataset
from keras_patterns.datasets.prepare import prepare_inshop
from keras_patterns.datasets.synthetic import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic import TEXTURE_FAMILIES
from keras_patterns.datasets.synthetic import Catalogue
from keras_patterns.datasets.synthetic import make_pattern_garments
from keras_patterns.datasets.synthetic import make_pattern_patches
from keras_patterns.datasets.synthetic import make_texture_patches
from keras_patterns.datasets.synthetic import pattern_swatch
from keras_patterns.datasets.synthetic import write_synthetic_catalogue
from keras_patterns.datasets.synthetic import write_synthetic_inshop
from keras_patterns.modeling.labels import CLOTHING_CLASSES
from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import INSHOP_COLORS
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.utils.sampling import PKSampler

__all__ = [
    "CLOTHING_CLASSES",
    "IGNORE_LABEL",
    "INSHOP_CLASSES",
    "INSHOP_COLORS",
    "NINE_CLASSES",
    "PATTERN_FAMILIES",
    "TEXTURE_FAMILIES",
    "Catalogue",
    "InshopRecord",
    "InshopRecords",
    "PKSampler",
    "PrepareSummary",
    "UnknownMaskColorError",
    "class_lookup_table",
    "labels_to_rgb",
    "load_inshop",
    "make_pattern_garments",
    "make_pattern_patches",
    "make_texture_patches",
    "pattern_swatch",
    "prepare_inshop",
    "read_manifest",
    "read_mask",
    "remap_classes",
    "rgb_mask_to_labels",
    "segmentation_dataset",
    "triplet_dataset",
    "write_synthetic_catalogue",
    "write_synthetic_inshop",
]
