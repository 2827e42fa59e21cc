"""The composite: the five stages wired into one grouping workflow.

`PatternGrouper` chains segmentation, patch extraction, enhancement,
embedding and clustering, entering at any stage; `GroupingResult` holds the
groups and the failures, and writes CSV, JSON, contact sheets and a report
to open in a browser (`GroupingResult.to_html`, built by `report`).
"""

from keras_patterns.grouping.grouping_result import GroupingResult
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.grouping.pattern_grouper import PatternGrouper

__all__ = ["GroupedItem", "GroupingResult", "PatternGrouper"]
