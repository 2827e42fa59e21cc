"""Synthetic patterned garments: shop photographs with exact masks."""

from keras_patterns.datasets.synthetic.catalogue import Catalogue
from keras_patterns.datasets.synthetic.catalogue import write_synthetic_catalogue
from keras_patterns.datasets.synthetic.generator import make_pattern_garments
from keras_patterns.datasets.synthetic.generator import write_synthetic_inshop
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.patterns import pattern_swatch
from keras_patterns.datasets.synthetic.patterns import render_pattern
from keras_patterns.datasets.synthetic.patterns import sample_pattern
from keras_patterns.datasets.synthetic.swatches import make_pattern_patches

__all__ = [
    "Catalogue",
    "PATTERN_FAMILIES",
    "make_pattern_garments",
    "make_pattern_patches",
    "pattern_swatch",
    "render_pattern",
    "sample_pattern",
    "write_synthetic_catalogue",
    "write_synthetic_inshop",
]
