"""SegmentStage: garment pixels labelled on a working copy of each photo."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from keras_patterns.modeling.labels import GARMENT_CLASSES
from keras_patterns.modeling.labels import INSHOP_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.segmentation.garment_prior import check_below
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_non_negative

# Photos are segmented and patches placed at most this many times the
# segmenter's input size (`SegmentStage.working_photo`).
CUT_SCALE = 2


class SegmentStage:
    """Labels garment pixels, on a working copy of each photo at most twice
    the segmenter's size.

    With `garments` naming a photo's product, the named garment gets a
    log-prior of `garment_prior` before the argmax
    (`keras_patterns.segmentation.garment_label_maps`).

    Args:
        segmenter: a `DeepLabV3Plus` (or any model with `predict_labels`),
            or `None` when the inputs are patches: then each input is its
            own patch, and the stage is skipped.
        segment_size: `(height, width)` photos are resized to for the
            segmenter (the size it was trained at); `None` keeps them.
        garment_prior: when `garments` name each photo's product, the
            log-prior added to that garment's logits before the patch is
            cut (`segmentation.garment_labels`): pixels the segmenter gives
            to a similar garment (a top for a dress) go to the named one
            when it nearly won them. 0 turns it off; needs a segmenter with
            `predict_logits`.
        garment_prior_below: apply `garment_prior` only to photos whose
            plain argmax gives the named garment less than this share of
            the pixels (a garment the segmenter missed); `None`: to all.
        classes: the garment classes the prior may relabel.
        label_names: class names of the segmenter's ids (default: the
            9-class set for 9 outputs, else the 16 In-shop classes).
        batch_size: photos per forward pass.
        frame_scale: measure the photo in the pixels of its copy resized to
            fit `segment_size` (its *frame*), up or down, rather than in its
            own: the patches are placed on that copy, and the cut and
            enhance stages count their sizes (`min_patch`, `margin`,
            `small_patch`, `patch_scale`) in its pixels (`unit`), so a
            photo's resolution changes neither where the patches lie nor
            the pattern frequency the embedder sees. Needs `segment_size`.
    """

    def __init__(
        self,
        segmenter: Any,
        segment_size: Sequence[int] | None = None,
        garment_prior: float = 1.5,
        classes: Sequence[str] = GARMENT_CLASSES,
        label_names: Sequence[str] | None = None,
        batch_size: int = 32,
        garment_prior_below: float | None = None,
        frame_scale: bool = False,
    ) -> None:
        self.segmenter = segmenter
        self.segment_size = None if segment_size is None else tuple(segment_size)
        if not isinstance(frame_scale, (bool, np.bool_)):
            raise ValueError(
                f"frame_scale must be True or False. Received: {frame_scale!r}"
            )
        self.frame_scale = bool(frame_scale)
        if self.frame_scale and self.segment_size is None:
            raise ValueError(
                "frame_scale measures photos against segment_size: give a "
                "segment_size too. Received: segment_size=None"
            )
        self.garment_prior = check_non_negative(garment_prior, "garment_prior")
        self.garment_prior_below = check_below(
            garment_prior_below, "garment_prior_below"
        )
        self.classes = tuple(classes)
        if label_names is None:
            outputs = getattr(segmenter, "num_classes", len(NINE_CLASSES))
            label_names = (
                NINE_CLASSES if outputs == len(NINE_CLASSES) else INSHOP_CLASSES
            )
        self.label_names = tuple(label_names)
        self.batch_size = check_int(batch_size, "batch_size")

    def get_config(self) -> dict[str, Any]:
        return {
            "segment_size": self.segment_size,
            "garment_prior": self.garment_prior,
            "garment_prior_below": self.garment_prior_below,
            "label_names": self.label_names,
            "frame_scale": self.frame_scale,
        }

    def unit(self, factor: float) -> float:
        """Photo pixels per pixel that sizes are counted in, for a working
        copy `factor` times smaller than its photo: 1 (the photo's own
        pixels) or, with `frame_scale`, `factor` (the working copy's).

        Example: a 768 x 576 photo, its frame 384 x 288:

        >>> import numpy as np
        >>> stage = SegmentStage(None, (384, 288), frame_scale=True)
        >>> working, factor = stage.working_photo(np.zeros((768, 576, 3), np.uint8))
        >>> working.shape, factor, stage.unit(factor), stage.cut_factor(factor)
        ((384, 288, 3), 2.0, 2.0, 1.0)
        >>> SegmentStage(None, (384, 288)).unit(2.0)
        1.0
        """
        return factor if self.frame_scale else 1.0

    def cut_factor(self, factor: float) -> float:
        """How many times smaller than the pixels sizes count the working
        copy is (`CutStage.options`'s factor): `factor / unit(factor)`."""
        return factor / self.unit(factor)

    def working_photo(self, photo: np.ndarray) -> tuple[np.ndarray, float]:
        """`photo` scaled for segmenting and cutting, and the factor back.

        The segmenter sees `segment_size`, so a label map finer than
        `CUT_SCALE` times that holds no more information; a large photo is
        segmented and its patches placed on a copy of at most that size
        (an exact O(H W) search on 0.2 instead of 2 megapixels), and the
        patches are then cut from the full photo. With `frame_scale` the
        copy is the photo fitted to `segment_size` (the frame), smaller or
        larger.
        """
        if self.segment_size is None:
            return photo, 1.0
        height, width = photo.shape[:2]
        if self.frame_scale:  # the frame: segment_size, up or down
            scale = min(self.segment_size[0] / height, self.segment_size[1] / width)
        else:
            scale = min(
                1.0,
                CUT_SCALE * self.segment_size[0] / height,
                CUT_SCALE * self.segment_size[1] / width,
            )
        if scale == 1.0:
            return photo, 1.0
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        small = resize_image(photo, size, Image.BILINEAR, reducing_gap=2.0)
        return small, height / size[0]

    def __call__(
        self, photos: Sequence[np.ndarray], garments: Sequence[str | None]
    ) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """`(working copy, factor back, label map)` for each photo.

        Args:
            photos: uint8 `(H, W, 3)` photos.
            garments: the garment named for each photo, or `None`.
        """
        working = [self.working_photo(photo) for photo in photos]
        maps = garment_label_maps(
            self.segmenter,
            [small for small, _ in working],
            list(garments),
            self.garment_prior,
            self.segment_size,
            self.batch_size,
            self.classes,
            self.label_names,
            self.garment_prior_below,
        )
        return [(*w, labels) for w, labels in zip(working, maps, strict=True)]
