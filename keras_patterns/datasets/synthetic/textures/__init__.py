"""Procedural textures for the ten pattern families met in real photographs.

`patterns.py` draws textile prints; a network trained on them alone meets
wood, stone, weaves and foliage for the first time in real images. This
module draws ten families (`TEXTURE_FAMILIES`), each with several kinds
(`spec["kind"]`) and colours ranging from natural tones to any hue, so that
a network cannot tell the families apart by colour, scale or one geometry.

The contract is the one of `patterns.py`: `sample_texture(family, rng)` draws
a spec `dict`, `render_texture(spec, u, v, pixel)` paints it from
pattern-space coordinates (`pixel` is one image pixel in pattern units, for
anti-aliasing), and `make_texture_patches` cuts views of each texture as
`make_pattern_patches` does, with photographic degradations on top.

Families share three tools: `fractal_noise` (fBm of value noise),
`domain_warp` (coordinates pushed around by noise) and `relief` (a height
field lit from one side: the embossed look of stone, leather and bevels).

The package holds the shared tools (`tools`), the family renderers grouped
by look (`geometric`, `natural`, `materials`, `weave`) and the family table
with the public API (`families`).
"""

from keras_patterns.datasets.synthetic.textures.families import TEXTURE_FAMILIES
from keras_patterns.datasets.synthetic.textures.families import make_texture_patches
from keras_patterns.datasets.synthetic.textures.families import render_texture
from keras_patterns.datasets.synthetic.textures.families import sample_texture
from keras_patterns.datasets.synthetic.textures.tools import CELLS
from keras_patterns.datasets.synthetic.textures.tools import NOISE_SIZE
from keras_patterns.datasets.synthetic.textures.tools import domain_warp
from keras_patterns.datasets.synthetic.textures.tools import fractal_noise
from keras_patterns.datasets.synthetic.textures.tools import noise_table
from keras_patterns.datasets.synthetic.textures.tools import relief

__all__ = [
    "CELLS",
    "NOISE_SIZE",
    "TEXTURE_FAMILIES",
    "domain_warp",
    "fractal_noise",
    "make_texture_patches",
    "noise_table",
    "relief",
    "render_texture",
    "sample_texture",
]
