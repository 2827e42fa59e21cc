"""keras-patterns: group products by their visual pattern, with Keras 3.

The method has five stages, each a sub-package, and a composite:

1. `keras_patterns.segmentation`: DeepLabV3+ labels garment pixels.
2. `keras_patterns.patches`: cut a patch lying inside one garment.
3. `keras_patterns.enhancement`: upscale small patches (RRDB / ESRGAN).
4. `keras_patterns.embedding`: Siamese / triplet embeddings of patterns.
5. `keras_patterns.clustering`: k-means groups of the embeddings.

`keras_patterns.datasets` feeds them (DeepFashion In-shop and synthetic
patterned garments), `keras_patterns.modeling` holds the model parts
several stages share, and `keras_patterns.grouping` chains the stages into
`PatternGrouper`. `layers`, `models`, `losses` and `metrics` gather the
Keras parts of every stage, as `keras_hub.models` does. Importing the
package registers every Keras class, so saved `.keras` files load without
`custom_objects`. `keras_patterns.apps` (the demo and the training recipes
on synthetic data) is imported on demand.
"""

from keras_patterns import clustering
from keras_patterns import datasets
from keras_patterns import embedding
from keras_patterns import enhancement
from keras_patterns import grouping
from keras_patterns import layers
from keras_patterns import losses
from keras_patterns import metrics
from keras_patterns import modeling
from keras_patterns import models
from keras_patterns import patches
from keras_patterns import segmentation
from keras_patterns.grouping.grouping_result import GroupingResult
from keras_patterns.grouping.pattern_grouper import PatternGrouper
from keras_patterns.utils.deprecation import alias_moved_module
from keras_patterns.version import __version__

# The demo and the recipes moved from `grouping` to `apps`; the old paths
# keep working, with a DeprecationWarning.
alias_moved_module(
    "keras_patterns.grouping.demo",
    "keras_patterns.apps.demo",
    renamed={
        "write_catalogue": "keras_patterns.datasets.synthetic.catalogue"
        ":write_synthetic_catalogue",
    },
)
alias_moved_module("keras_patterns.grouping.recipes", "keras_patterns.apps.recipes")

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
    "modeling",
    "losses",
    "metrics",
    "models",
    "patches",
    "segmentation",
]
