"""Stage 2, patch extraction: a patch that lies inside one garment.

`extract_patches` finds, in each garment region of a label map, the largest
axis-aligned rectangle (an exact O(H W) search), away from the garment's
edges, and returns it as a `Patch`; `texture_score` says how much pattern a
patch holds, to tell the patterned product from plain styling garments.
"""

from keras_patterns.patches.extract import Patch
from keras_patterns.patches.extract import extract_patches
from keras_patterns.patches.extract import extract_patches_batch
from keras_patterns.patches.rectangles import largest_rectangle
from keras_patterns.patches.rectangles import largest_square
from keras_patterns.patches.texture import texture_score

__all__ = [
    "Patch",
    "extract_patches",
    "extract_patches_batch",
    "largest_rectangle",
    "largest_square",
    "texture_score",
]
