"""Cutting patches that lie entirely inside one garment."""

from collections.abc import Sequence
from typing import Any
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from keras_patterns.modeling.labels import CLOTHING_CLASSES
from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.patches.rectangles import largest_rectangle
from keras_patterns.patches.rectangles import largest_square
from keras_patterns.patches.texture import textured_region
from keras_patterns.utils.images import check_image
from keras_patterns.utils.progress import progress_bar
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_names


class Patch(NamedTuple):
    """A rectangle cut from one garment region.

    Attributes:
        image: the pixels, same dtype as the source image, `(h, w, C)`.
        box: `(top, left, bottom, right)` in the source image, `bottom` and
            `right` exclusive: `source[top:bottom, left:right]` is `image`.
        class_name: the garment class of the region.
        coverage: the share of the region's area covered by its largest
            rectangle (before any crop to `patch_size`), in (0, 1].
        region_area: pixels in the garment region (connected component).
    """

    image: np.ndarray
    box: tuple[int, int, int, int]
    class_name: str
    coverage: float
    region_area: int


def _pair(value, name):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return check_int(value[0], name), check_int(value[1], name)
    value = check_int(value, name)
    return value, value


def _margin_pixels(margin, window):
    """`margin` in pixels: an int as is, a float as a share of the region's side."""
    if isinstance(margin, float):
        if not 0.0 <= margin < 0.5:
            raise ValueError(
                f'A float "margin" must lie in [0, 0.5). Received: {margin}'
            )
        side = min(window[0].stop - window[0].start, window[1].stop - window[1].start)
        return int(round(margin * side))
    return margin


def _interior(components, index, window, margin):
    """The region `index` eroded by `margin`, in a window grown to hold the erosion.

    Returns the boolean interior and the window's top-left corner. The image
    border is a crop, not a seam: only the garment's own edges are eroded.
    """
    if margin <= 0:
        return components[window] == index, (window[0].start, window[1].start)
    height, width = components.shape
    grown = (
        slice(max(window[0].start - 1, 0), min(window[0].stop + 1, height)),
        slice(max(window[1].start - 1, 0), min(window[1].stop + 1, width)),
    )
    region = components[grown] == index
    interior = ndimage.binary_erosion(region, iterations=margin, border_value=1)
    return interior, (grown[0].start, grown[1].start)


def _centre_crop(box, size):
    top, left, bottom, right = box
    height, width = min(size[0], bottom - top), min(size[1], right - left)
    top += (bottom - top - height) // 2
    left += (right - left - width) // 2
    return top, left, top + height, left + width


def _disjoint_boxes(interior, search, minimum, count):
    """Up to `count` boxes of `search`, each in what the previous ones left."""
    interior, boxes = interior.copy(), []
    while len(boxes) < count:
        box = search(interior)
        if box is None or box[2] - box[0] < minimum[0] or box[3] - box[1] < minimum[1]:
            break
        boxes.append(box)
        interior[box[0] : box[2], box[1] : box[3]] = False
    return boxes


def _check_label_ids(labels, label_names):
    """Raises when `labels` holds ids that `label_names` has no name for."""
    if labels.size == 0 or 0 <= labels.min() <= labels.max() < len(label_names):
        return
    ids = np.unique(labels)
    stray = ids[((ids < 0) | (ids >= len(label_names))) & (ids != IGNORE_LABEL)]
    if len(stray):
        raise ValueError(
            f'"labels" holds ids {stray[:8].tolist()} that "label_names" '
            f"({len(label_names)} names) has no name for: is it the table of "
            f"this map (INSHOP_CLASSES for 16-class masks, NINE_CLASSES for "
            f"9-class predictions)? Received: label_names={tuple(label_names)!r}"
        )


def _check_image_and_labels(image, labels, label_names):
    """`image` checked and `labels` as an integer map of its height and
    width whose ids `label_names` names: `(image, labels)`."""
    image = check_image(image, "image", batched=False)
    labels = np.asarray(labels)
    if labels.shape != image.shape[:2] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            '"labels" must be an integer map with the image\'s height and width '
            f"{image.shape[:2]}. Received: shape {labels.shape}, dtype {labels.dtype}"
        )
    _check_label_ids(labels, label_names)
    return image, labels


def extract_patches(
    image: ArrayLike,
    labels: ArrayLike,
    classes: str | Sequence[str] = CLOTHING_CLASSES,
    patch_size: int | tuple[int, int] | list[int] | None = None,
    min_size: int | tuple[int, int] | list[int] = 8,
    max_patches: int | None = None,
    margin: int | float = 2,
    *,
    label_names: Sequence[str],
    shape: str = "rectangle",
    per_region: int = 1,
) -> list[Patch]:
    """Cuts, from each garment region, the largest rectangle inside it.

    A garment region is a 4-connected component of one class of `classes`.
    Its interior, optionally shrunk by `margin` away from the garment's edges
    (where seams, shadows and segmentation errors live), is searched for the
    largest axis-aligned rectangle (exact, O(H W)). Rectangles smaller than
    `min_size` are dropped; small ones above it are kept for the enhancement
    stage to upscale. The result is deterministic.

    Args:
        image: `(H, W, C)`, uint8 or float in [0, 1].
        labels: `(H, W)` integer label map: a ground-truth mask or a
            predicted map, with ids into `label_names` (and `IGNORE_LABEL`
            for pixels to skip).
        classes: garment class names to cut from (or one name).
        patch_size: `None` keeps the whole rectangle; an int or `(h, w)`
            takes a centred crop of at most that size (no resizing, so the
            pattern keeps its scale).
        min_size: int or `(h, w)`: minimum rectangle size, before cropping.
        max_patches: keep at most this many patches (the largest first).
        margin: pixels (int) or share of the region's smaller side (float
            below 0.5) to stay away from garment edges.
        label_names: class names indexed by label id, required:
            `INSHOP_CLASSES` for 16-class masks, `NINE_CLASSES` for maps
            predicted in that set. There is no default because a label map
            cannot tell which table its ids index: a 9-class map read with
            the 16 In-shop names cuts the wrong garments without a sound
            (its dress, id 3, is In-shop's leggings). An id beyond the table
            (other than `IGNORE_LABEL`) raises a `ValueError`.
        shape: `"rectangle"` (the largest rectangle) or `"square"` (the
            largest square, what a square-input embedder can use whole).
        per_region: patches cut from each region: the largest one, then the
            largest in what is left of the interior, and so on (disjoint).
            Several views of one garment let a grouper average away a patch
            that a segmentation error spoiled.

    Returns:
        A list of `Patch`, largest first.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> labels = np.zeros((40, 30), np.uint8)
    >>> labels[5:35, 4:24] = kp.datasets.INSHOP_CLASSES.index("dress")
    >>> image = np.zeros((40, 30, 3), np.uint8)
    >>> patches = kp.patches.extract_patches(
    ...     image, labels, label_names=kp.datasets.INSHOP_CLASSES)
    >>> [(p.box, p.class_name) for p in patches]
    [((7, 6, 33, 22), 'dress')]
    """
    image, labels = _check_image_and_labels(image, labels, label_names)
    check_choice(shape, ("rectangle", "square"), "shape")
    search = largest_rectangle if shape == "rectangle" else largest_square
    minimum = _pair(min_size, "min_size")
    crop = None if patch_size is None else _pair(patch_size, "patch_size")
    if max_patches is not None:
        check_int(max_patches, "max_patches")
    check_int(per_region, "per_region")
    if isinstance(margin, int) and margin < 0:
        raise ValueError(f'"margin" must not be negative. Received: margin={margin}')
    candidates = []
    for class_id in check_names(classes, label_names, "classes", as_list=True):
        components, count = ndimage.label(labels == class_id)
        if not count:
            continue
        areas = np.bincount(components.ravel())
        for index, window in enumerate(ndimage.find_objects(components), start=1):
            pixels = _margin_pixels(margin, window)
            interior, (row, col) = _interior(components, index, window, pixels)
            boxes = _disjoint_boxes(interior, search, minimum, per_region)
            name, region = label_names[class_id], int(areas[index])
            for rank, box in enumerate(boxes):
                top, left = box[0] + row, box[1] + col
                box = (top, left, top + box[2] - box[0], left + box[3] - box[1])
                area = (box[2] - box[0]) * (box[3] - box[1])
                candidates.append((-area, rank, box, name, region))
    # Largest first; a region's own order breaks ties (its first box is the
    # one nearest its centre), then the position.
    candidates.sort(key=lambda c: c[:3])
    patches = []
    for negative_area, _, box, name, region_area in candidates[:max_patches]:
        area = -negative_area
        if crop is not None:
            box = _centre_crop(box, crop)
        pixels = image[box[0] : box[2], box[1] : box[3]].copy()
        patches.append(Patch(pixels, box, name, area / region_area, region_area))
    return patches


def textured_patches(
    image: ArrayLike,
    labels: ArrayLike,
    classes: str | Sequence[str] = CLOTHING_CLASSES,
    min_size: int | tuple[int, int] | list[int] = 8,
    *,
    label_names: Sequence[str],
    per_region: int = 2,
    **region: Any,
) -> list[Patch]:
    """Cuts squares from the textured part of the garments, whatever their class.

    The garments (`classes`, taken as one mask) are narrowed to the pixels
    that carry a pattern (`textured_region`); each connected part of those
    gives up to `per_region` disjoint squares, the largest first. A
    segmenter that splits a patterned garment between classes leaves small
    regions to `extract_patches`; the textured part of the same photo is
    the patterned garment whole, beside the plain ones. Each patch's
    `class_name` is the class most of its pixels carry.

    Args:
        image: `(H, W, 3)`, uint8 or float in [0, 1].
        labels: `(H, W)` integer label map, ids into `label_names`.
        classes: garment class names taken as the mask (or one name).
        min_size: int or `(h, w)`: squares smaller than this are dropped.
        label_names: class names indexed by label id, required (see
            `extract_patches`).
        per_region: squares cut from each connected textured part.
        **region: `window`, `erosion` and `blur` of `textured_region`.

    Returns:
        A list of `Patch`, largest first; `coverage` is a square's share
        of its textured part, `region_area` that part's pixels.

    Example: stripes on the left of a "top" (columns 0 to 30), plain fabric
    on the right of the same top; the square lies on the stripes, but for
    the few pixels the averaging window reaches past them:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> image = np.full((48, 64, 3), 128, np.uint8)
    >>> image[:, :32:3] = 255
    >>> labels = np.zeros((48, 64), np.uint8)
    >>> labels[4:44, 2:62] = kp.datasets.NINE_CLASSES.index("top")
    >>> patches = kp.patches.textured_patches(
    ...     image, labels, label_names=kp.datasets.NINE_CLASSES, per_region=1)
    >>> [(p.box, p.class_name) for p in patches]
    [((9, 5, 38, 34), 'top')]
    """
    image, labels = _check_image_and_labels(image, labels, label_names)
    check_int(per_region, "per_region")
    minimum = _pair(min_size, "min_size")
    ids = check_names(classes, label_names, "classes", as_list=True)
    textured = textured_region(image, np.isin(labels, ids), **region)
    components, _ = ndimage.label(textured)
    areas = np.bincount(components.ravel())
    patches = []
    for index, window in enumerate(ndimage.find_objects(components), start=1):
        part = components[window] == index
        row, col = window[0].start, window[1].start
        for top, left, bottom, right in _disjoint_boxes(
            part, largest_square, minimum, per_region
        ):
            box = (top + row, left + col, bottom + row, right + col)
            inside = labels[box[0] : box[2], box[1] : box[3]]
            votes = [np.count_nonzero(inside == i) for i in ids]
            name = label_names[ids[int(np.argmax(votes))]]
            area = (bottom - top) * (right - left)
            pixels = image[box[0] : box[2], box[1] : box[3]].copy()
            patches.append(
                Patch(pixels, box, name, float(area / areas[index]), int(areas[index]))
            )
    patches.sort(key=lambda patch: (patch.box[0] - patch.box[2], patch.box[:2]))
    return patches


def extract_patches_batch(
    images: Sequence[ArrayLike] | np.ndarray,
    label_maps: Sequence[ArrayLike] | np.ndarray,
    progress: bool = False,
    *,
    label_names: Sequence[str],
    **kwargs: Any,
) -> list[list[Patch]]:
    """Runs `extract_patches` over a data set.

    Args:
        images: a sequence (or array) of images.
        label_maps: the matching label maps.
        progress: show a progress bar.
        label_names: class names indexed by the maps' label ids, required
            (see `extract_patches`).
        **kwargs: other arguments of `extract_patches`.

    Returns:
        A list with one list of `Patch` per image.
    """
    if len(images) != len(label_maps):
        raise ValueError(
            f'"images" and "label_maps" must have the same length. Received '
            f"{len(images)} and {len(label_maps)}"
        )
    results = []
    with progress_bar(len(images), "image", enabled=progress) as bar:
        for image, labels in zip(images, label_maps, strict=True):
            results.append(
                extract_patches(image, labels, label_names=label_names, **kwargs)
            )
            bar.update(1)
    return results
