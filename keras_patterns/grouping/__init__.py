"""The composite: the five stages wired into one grouping workflow.

`PatternGrouper` chains segmentation, patch extraction, enhancement,
embedding and clustering, entering at any stage; `GroupingResult` holds the
groups and the failures, and writes CSV, JSON, contact sheets and a report
to open in a browser (`GroupingResult.to_html`, built by `report`).
"""

from keras_patterns.grouping.items import GroupedItem
from keras_patterns.utils.deprecation import moved_names

__all__ = ["GroupedItem"]

# `PatternGrouper` and `GroupingResult` are public at the package's root
# (`keras_patterns.PatternGrouper`); the old paths here warn and forward.
__getattr__ = moved_names(
    __name__,
    {
        "GroupingResult": "keras_patterns",
        "PatternGrouper": "keras_patterns",
    },
)
