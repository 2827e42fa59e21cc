"""The stages a `PatternGrouper` runs each chunk of inputs through.

Each stage is a small object that owns its settings (and its model, where
it has one) and describes them in `get_config`; `GroupingPipeline` chains
them, as scikit-learn's `Pipeline` chains its steps:

    read -> segment -> cut -> enhance -> embed

`ReadStage` decodes the inputs a chunk at a time, the next chunk on
threads; `SegmentStage` labels garment pixels on a working copy of each
photo; `CutStage` cuts the patches inside the product's garment;
`EnhanceStage` makes them square, upscales the small ones and resizes all
to the embedder's size; `EmbedStage` embeds every view of a chunk's
patches in one call. Without a segmenter, an input is its own patch.
"""

from keras_patterns.grouping.stages.cut import GARMENT_CHOICES
from keras_patterns.grouping.stages.cut import TEXTURED_SHARE
from keras_patterns.grouping.stages.cut import CutStage
from keras_patterns.grouping.stages.embed import EMBED_BATCH
from keras_patterns.grouping.stages.embed import FLIPS
from keras_patterns.grouping.stages.embed import EmbedStage
from keras_patterns.grouping.stages.embed import view_count
from keras_patterns.grouping.stages.enhance import UPSCALE_BATCHING
from keras_patterns.grouping.stages.enhance import EnhanceStage
from keras_patterns.grouping.stages.read import READ_WORKERS
from keras_patterns.grouping.stages.read import Chunk
from keras_patterns.grouping.stages.read import ReadStage
from keras_patterns.grouping.stages.segment import CUT_SCALE
from keras_patterns.grouping.stages.segment import SegmentStage

__all__ = [
    "CUT_SCALE",
    "Chunk",
    "CutStage",
    "EMBED_BATCH",
    "EmbedStage",
    "EnhanceStage",
    "FLIPS",
    "GARMENT_CHOICES",
    "READ_WORKERS",
    "ReadStage",
    "SegmentStage",
    "TEXTURED_SHARE",
    "UPSCALE_BATCHING",
    "view_count",
]
