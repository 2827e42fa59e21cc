"""EnhanceStage: square patches, the small ones upscaled, at the embedder's scale."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.utils.images import centre_square
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_positive

# How `EnhanceStage` batches small patches through the enhancer.
UPSCALE_BATCHING = {"pad_to": 8, "batch_size": 32}


class EnhanceStage:
    """Square patches, the small ones upscaled together, all at the embedder's
    scale.

    With `patch_scale=None` every patch is resized to `patch_size` square,
    so a pattern's scale follows the garment's size in the photo. With a
    `patch_scale`, each patch keeps its own pixel scale times
    `patch_scale` (1 is the photo's, 2 twice as fine), so the same fabric
    gives the same pattern frequency whatever the garment's size; a patch
    larger than `patch_size` is centre-cropped to it, and sides are rounded
    down to a multiple of 8 (at least 16) so that the embedder sees few
    shapes.

    Args:
        enhancer: an `RRDBNet` (or any super-resolution model), or `None`
            (small patches are then resized bicubically).
        enhance_below: patches whose shorter side is below this are enhanced.
        patch_size: side of the patches given to the embedder, or the
            largest side with a `patch_scale`.
        patch_scale: the pixel scale the embedder sees, relative to the
            photo's, or `None` (every patch at `patch_size`).
    """

    def __init__(
        self,
        enhancer: Any = None,
        enhance_below: int = 48,
        patch_size: int = 64,
        patch_scale: float | None = None,
    ) -> None:
        self.enhancer = enhancer
        self.enhance_below = check_int(enhance_below, "enhance_below", minimum=0)
        self.patch_size = check_int(patch_size, "patch_size", minimum=32)
        if patch_scale is not None:
            patch_scale = check_positive(patch_scale, "patch_scale")
        self.patch_scale = patch_scale

    def get_config(self) -> dict[str, Any]:
        return {
            "enhance_below": self.enhance_below,
            "patch_size": self.patch_size,
            "patch_scale": self.patch_scale,
        }

    def target(self, side: int, unit: float = 1.0) -> tuple[int, int]:
        """`(crop, size)` for a square patch of `side` pixels: the centre
        square of `crop` pixels is resized to `size`. `patch_scale` counts
        units of `unit` pixels (`SegmentStage.unit`: with `frame_scale`, a
        photo twice the frame's resolution has `unit` 2).

        Example: 40 pixels at `patch_scale` 2 make an 80-pixel patch; of a
        photo at twice the frame's resolution, 80 pixels make it:

        >>> stage = EnhanceStage(patch_size=128, patch_scale=2.0)
        >>> stage.target(40), stage.target(80, unit=2.0)
        ((40, 80), (80, 80))
        """
        if self.patch_scale is None:
            return side, self.patch_size
        scale = self.patch_scale / unit
        size = int(side * scale) // 8 * 8
        size = max(16, min(size, self.patch_size))
        return min(side, round(size / scale)), size

    def __call__(
        self,
        cuts: dict[int, list[np.ndarray]],
        items: Sequence[GroupedItem],
        units: dict[int, float] | None = None,
    ) -> dict[int, list[np.ndarray]]:
        """Maps an item's position to its finished square patches; sets
        `enhanced` on the items whose patches were upscaled. `units` gives
        an item's `target` unit (1 where it gives none)."""
        squares = {}
        sizes = {}
        units = units or {}
        for i, cut in cuts.items():
            squares[i], sizes[i] = [], []
            for patch in cut:
                crop, size = self.target(min(patch.shape[:2]), units.get(i, 1.0))
                squares[i].append(centre_square(centre_square(patch)[:crop, :crop]))
                sizes[i].append(size)
        if self.enhancer is not None:
            small = [
                (i, n)
                for i, chunk in squares.items()
                for n, square in enumerate(chunk)
                if square.shape[0] < self.enhance_below
            ]
            if small:
                enhanced = upscale_patches(
                    self.enhancer, [squares[i][n] for i, n in small], **UPSCALE_BATCHING
                )
                for (i, n), square in zip(small, enhanced, strict=True):
                    squares[i][n] = square
                    items[i].enhanced = True
        return {
            i: [
                square
                if square.shape[0] == size
                else resize_image(square, (size, size))
                for square, size in zip(chunk, sizes[i], strict=True)
            ]
            for i, chunk in squares.items()
        }
