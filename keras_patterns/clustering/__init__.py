"""Stage 5, clustering: groups of embedding vectors.

`KMeans` is a scikit-learn estimator for embeddings (Lloyd, mini-batch with
`partial_fit`, or faiss; Euclidean or spherical), which can choose k by
silhouette; `elbow_plot` draws the scores it used and `embedding_map` the
embeddings' first two principal components by group. `NeighborIndex` finds
the nearest catalogue vectors of a query ("more like this"), exactly or
with faiss.
"""

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.clustering.neighbors import NeighborIndex
from keras_patterns.clustering.plots import elbow_plot
from keras_patterns.clustering.plots import embedding_map

__all__ = ["KMeans", "NeighborIndex", "elbow_plot", "embedding_map"]
