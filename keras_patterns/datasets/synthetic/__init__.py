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
from keras_patterns.datasets.synthetic.textures import TEXTURE_FAMILIES
from keras_patterns.datasets.synthetic.textures import make_texture_patches
from keras_patterns.datasets.synthetic.textures import render_texture
from keras_patterns.datasets.synthetic.textures import sample_texture

__all__ = [
    "Catalogue",
    "PATTERN_FAMILIES",
    "TEXTURE_FAMILIES",
    "make_pattern_garments",
    "make_pattern_patches",
    "make_texture_patches",
    "pattern_swatch",
    "render_pattern",
    "render_texture",
    "sample_pattern",
    "sample_texture",
    "write_synthetic_catalogue",
    "write_synthetic_inshop",
]
