"""keras-patterns: group products by their visual pattern, with Keras 3.

The method has five stages, each a sub-package, and a composite:

1. `keras_patterns.segmentation`: DeepLabV3+ labels garment pixels.
2. `keras_patterns.patches`: cut a patch lying inside one garment.
3. `keras_patterns.enhancement`: upscale small patches (RRDB / ESRGAN).
4. `keras_patterns.embedding`: Siamese / triplet embeddings of patterns.
5. `keras_patterns.clustering`: k-means groups of the embeddings.

`keras_patterns.datasets` feeds them (DeepFashion In-shop and synthetic
patterned garments); `layers`, `models`, `losses` and `metrics` gather the
Keras parts of every stage, as `keras_hub.models` does. Importing the
package registers every Keras class, so saved `.keras` files load without
`custom_objects`.
"""

from keras_patterns import clustering
from keras_patterns import datasets
from keras_patterns import embedding
from keras_patterns import enhancement
from keras_patterns import grouping
from keras_patterns import layers
from keras_patterns import losses
from keras_patterns import metrics
from keras_patterns import models
from keras_patterns import patches
from keras_patterns import segmentation
from keras_patterns.grouping import GroupingResult
from keras_patterns.grouping import PatternGrouper
from keras_patterns.version import __version__

__all__ = [
    "GroupingResult",
    "PatternGrouper",
    "__version__",
    "clustering",
    "datasets",
    "embedding",
    "enhancement",
    "grouping",
    "layers",
    "losses",
    "metrics",
    "models",
    "patches",
    "segmentation",
]
