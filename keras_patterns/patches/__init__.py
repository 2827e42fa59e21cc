"""Stage 2, patch extraction: a patch that lies inside one garment.

`extract_patches` finds, in each garment region of a label map, the largest
axis-aligned rectangle (an exact O(H W) search), away from the garment's
edges, and returns it as a `Patch`; `texture_score` says how much pattern a
patch holds, to tell the patterned product from plain styling garments;
`textured_patches` cuts squares from the part of the garments that carries
a pattern (`textured_region`), whatever class the segmenter gave it.
"""

from keras_patterns.patches.extract import Patch
from keras_patterns.patches.extract import extract_patches
from keras_patterns.patches.extract import extract_patches_batch
from keras_patterns.patches.extract import textured_patches
from keras_patterns.patches.rectangles import largest_rectangle
from keras_patterns.patches.rectangles import largest_square
from keras_patterns.patches.texture import edge_map
from keras_patterns.patches.texture import otsu_threshold
from keras_patterns.patches.texture import texture_score
from keras_patterns.patches.texture import textured_region

__all__ = [
    "Patch",
    "edge_map",
    "extract_patches",
    "extract_patches_batch",
    "largest_rectangle",
    "largest_square",
    "otsu_threshold",
    "texture_score",
    "textured_patches",
    "textured_region",
]
