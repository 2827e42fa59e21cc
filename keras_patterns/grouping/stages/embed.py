"""EmbedStage: every view of a chunk's patches embedded, by size."""

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.utils.validation import check_choice

# A patch and its mirror images (as indexes): as is, left-right, up-down, both.
FLIPS = tuple(
    (slice(None, None, r), slice(None, None, c)) for r in (1, -1) for c in (1, -1)
)


# Patch views per forward pass of the embedder.
EMBED_BATCH = 128


def view_count(flip_views: bool | int) -> int:
    """Views per patch: `True` is all four flips, `False` the patch alone."""
    if isinstance(flip_views, bool):
        return 4 if flip_views else 1
    return flip_views


class EmbedStage:
    """Embeds every view of a chunk's patches in one call; an item's
    embedding is the mean of its patches' views.

    Args:
        embedder: a `PatternEmbedder` (or any model with `embed`), or
            `None` until `PatternGrouper.fit` trains one.
        flip_views: embed each patch with its mirror images too (left-right,
            up-down and both) and average them: the embedder was trained
            with those flips as positives, so they are views of one
            pattern, and averaging them cancels what the network still tells
            apart, for as many times the embedding time. `True` is 4 views,
            `False` 1; 2 is the patch and its left-right mirror.
    """

    def __init__(self, embedder: Any = None, flip_views: bool | int = True) -> None:
        self.embedder = embedder
        self.flip_views = (
            bool(flip_views)
            if isinstance(flip_views, bool)
            else check_choice(flip_views, (1, 2, 4), "flip_views")
        )

    def get_config(self) -> dict[str, Any]:
        return {"flip_views": self.flip_views}

    def vectors(self, images: np.ndarray) -> np.ndarray:
        """The embedder's embeddings of a batch of images, one view each."""
        if self.embedder is None:
            raise ValueError(
                "The grouper has no embedder yet: fit() trains one, or give "
                "embedder=. Received: embedder=None"
            )
        return self._embed(images)

    def _embed(self, views):
        embed = self.embedder.embed
        if "batch_size" in inspect.signature(embed).parameters:
            return embed(views, batch_size=EMBED_BATCH)
        return embed(views)

    def __call__(self, patches: Sequence[list[np.ndarray]]) -> np.ndarray | None:
        """One embedding per item, from the list of its patches.

        All views of a size go through the embedder at once (its compiled
        forward pass, in batches of `EMBED_BATCH`). The mean of an item's views is
        rescaled to their mean norm, so a unit-norm embedder still gives
        unit vectors and a single view is left as it is.

        Returns:
            `(len(patches), D)` embeddings, or `None` when there is no patch.
        """
        flips = FLIPS[: view_count(self.flip_views)]
        views = [patch[flip] for chunk in patches for patch in chunk for flip in flips]
        if not views:
            return None
        by_shape = {}
        for n, view in enumerate(views):
            by_shape.setdefault(view.shape, []).append(n)
        vectors = None
        for positions in by_shape.values():
            found = self._embed(np.stack([views[n] for n in positions]))
            if vectors is None:
                vectors = np.empty((len(views), found.shape[-1]), found.dtype)
            vectors[positions] = found
        rows, start = [], 0
        for chunk in patches:
            own = vectors[start : start + len(chunk) * len(flips)]
            mean = own.mean(axis=0)
            norm = max(np.linalg.norm(mean), 1e-12)
            rows.append(mean * np.linalg.norm(own, axis=1).mean() / norm)
            start += len(own)
        return np.stack(rows)
