"""Label maps that use a catalogue's word on which garment a photo shows.

A product catalogue usually says what each photo sells ("dress", "outer").
A segmenter trained on few images confuses garments of similar shape (a top,
a dress and an open jacket) far more often than it confuses garment with
background, so a garment is often split between two classes and the patch
extractor, which cuts from the named garment only, sees a fraction of it.
Adding a log-prior to the named garment's logits lets that garment win the
pixels it nearly won, while the segmenter alone still decides what is
garment and what is not.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.modeling.labels import GARMENT_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.utils.images import label_maps
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_names
from keras_patterns.utils.validation import check_non_negative


def garment_labels(
    logits: ArrayLike,
    garment: str,
    prior: float = 1.5,
    garment_classes: str | Sequence[str] = GARMENT_CLASSES,
    label_names: Sequence[str] = NINE_CLASSES,
    below: float | None = None,
) -> np.ndarray:
    """A label map from logits, with a prior for the garment the photo shows.

    Each pixel takes the argmax label, except that a pixel labelled as some
    garment of `garment_classes` becomes `garment` when `garment`'s logit
    is at most `prior` below the winner's: the argmax after adding `prior`
    to `garment`'s logit, a prior `exp(prior)` times larger on that garment.
    Pixels labelled background, skin, hair... keep their label. With
    `below`, the prior applies only when the argmax gives `garment` less
    than that share of the pixels: a garment the segmenter found keeps its
    own outline, and only one it missed is looked for.

    Args:
        logits: `(H, W, C)` per-pixel class logits.
        garment: the name of the garment the photo shows, in `label_names`.
        prior: log-prior added to `garment`'s logit (0 is the plain argmax).
        garment_classes: the classes that may be relabelled to `garment`.
        label_names: class names indexed by label id.
        below: the share of pixels (in [0, 1]) under which the argmax must
            leave `garment` for the prior to apply; `None`: always.

    Returns:
        uint8 labels `(H, W)`.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.segmentation import garment_labels
    >>> names = ("background", "top", "dress")
    >>> logits = np.array([[[0.0, 2.0, 1.0], [3.0, 0.0, 1.0]]])  # (1, 2, 3)
    >>> garment_labels(logits, "dress", 1.5, ("top", "dress"), names).tolist()
    [[2, 0]]
    >>> # The argmax gives "dress" half the pixels: the prior applies under 0.6.
    >>> logits = np.array([[[0.0, 2.0, 1.0], [0.0, 1.0, 2.0]]])
    >>> [garment_labels(logits, "dress", 1.5, ("top", "dress"), names, below=b).tolist()
    ...  for b in (0.6, 0.5)]
    [[[2, 2]], [[1, 2]]]
    """
    logits = np.asarray(logits)
    if logits.ndim != 3 or logits.shape[-1] != len(label_names):
        raise ValueError(
            '"logits" must be (H, W, C) with one channel per name of '
            f'"label_names" ({len(label_names)}). Received: shape {logits.shape}'
        )
    prior = check_non_negative(prior, "prior")
    target = check_names(garment, label_names, "garment")
    garments = check_names(garment_classes, label_names, "garment_classes")
    return _relabel(logits, target, prior, garments, check_below(below))


def check_below(below: Any, name: str = "below") -> float | None:
    """`below` (a share of pixels in [0, 1], or `None`) as a float, checked."""
    if below is None:
        return None
    if not isinstance(below, (int, float)) or not 0.0 <= below <= 1.0:
        raise ValueError(
            f'"{name}" must be a share of pixels in [0, 1], or None. '
            f"Received: {below!r}"
        )
    return float(below)


def _relabel(logits, target, prior, garments, below=None):
    """`garment_labels` with checked arguments: `target` and `garments` are ids."""
    labels = np.argmax(logits, axis=-1).astype(np.uint8)
    if prior == 0 or target is None:
        return labels
    if below is not None and np.mean(labels == target) >= below:
        return labels
    winner = np.take_along_axis(logits, labels[..., None].astype(np.intp), -1)[..., 0]
    near = logits[..., target] + prior >= winner
    return np.where(np.isin(labels, garments) & near, target, labels).astype(np.uint8)


def garment_label_maps(
    segmenter: Any,
    photos: Sequence[ArrayLike] | np.ndarray,
    garments: Sequence[str | None],
    prior: float = 1.5,
    size: Size | None = None,
    batch_size: int = 32,
    garment_classes: str | Sequence[str] = GARMENT_CLASSES,
    label_names: Sequence[str] = NINE_CLASSES,
    below: float | None = None,
) -> list[np.ndarray]:
    """`garment_labels` for each photo, at the photo's own size.

    Args:
        segmenter: a model with `predict_logits` (a `DeepLabV3Plus`); one
            with only `predict_labels` gives the plain label maps.
        photos: a sequence of `(H, W, 3)` images.
        garments: one garment name (or `None`: no prior) per photo.
        prior: log-prior of the named garment (see `garment_labels`).
        size: `(height, width)` the photos are resized to for the
            segmenter; the maps come back at each photo's size, resized
            nearest-neighbour.
        batch_size: photos per forward pass.
        garment_classes: the classes that may be relabelled.
        label_names: class names of the segmenter's ids.
        below: apply the prior only to photos whose argmax gives the named
            garment less than this share of the pixels (`None`: to all).

    Returns:
        A list of uint8 `(H, W)` label maps.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.segmentation import garment_label_maps
    >>> class Segmenter:  # everywhere "top" (id 1) beats "dress" (id 3) by 1
    ...     def predict_logits(self, images, batch_size=32):
    ...         logits = np.zeros((len(images), 4, 4, 9), "float32")
    ...         logits[..., 1], logits[..., 3] = 3.0, 2.0
    ...         return logits
    >>> photos = [np.zeros((8, 8, 3), "uint8")] * 2
    >>> maps = garment_label_maps(Segmenter(), photos, ["dress", None], size=(4, 4))
    >>> [m.shape for m in maps], [int(m[0, 0]) for m in maps]
    ([(8, 8), (8, 8)], [3, 1])
    """
    if len(garments) != len(photos):
        raise ValueError(
            '"garments" must hold one name (or None) per photo: '
            f"{len(photos)} photos, {len(garments)} garments"
        )
    prior = check_non_negative(prior, "prior")
    below = check_below(below)
    hinted = prior > 0 and any(g is not None for g in garments)
    if not hinted or not hasattr(segmenter, "predict_logits"):
        return label_maps(segmenter, photos, size, batch_size)

    targets = [
        None if g is None else check_names(g, label_names, "garments") for g in garments
    ]
    classes = check_names(garment_classes, label_names, "garment_classes")

    def decide(i, logits):
        return _relabel(logits, targets[i], prior, classes, below)

    return label_maps(segmenter, photos, size, batch_size, decide)
