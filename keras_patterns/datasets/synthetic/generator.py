"""Synthetic patterned garments: the embedded default data set.

DeepFashion In-shop cannot be redistributed, so examples, tests and
benchmarks run on scenes drawn here: shop photographs of a model wearing one
to three garments, each filled with a pattern from `PATTERN_FAMILIES`, with
pixel-exact masks in the 16-class In-shop scheme. Several views of one item
share its fabric, so metric learning has true positives.

Every scene is drawn from its own random stream seeded by
`(seed, item, view)`: scene `i` is the same whatever `n` is.
"""

import json
from collections.abc import Iterable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from keras_patterns.datasets.inshop_classes import labels_to_rgb
from keras_patterns.datasets.inshop_layout import FIRST_FLAT_ID
from keras_patterns.datasets.inshop_layout import PARTITION_FILE
from keras_patterns.datasets.inshop_layout import VIEW_DIGITS
from keras_patterns.datasets.inshop_layout import PrepareSummary
from keras_patterns.datasets.inshop_layout import flat_name
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.datasets.synthetic.scenes import ID
from keras_patterns.datasets.synthetic.scenes import VIEWS
from keras_patterns.datasets.synthetic.scenes import render_view
from keras_patterns.datasets.synthetic.scenes import sample_item
from keras_patterns.utils.io import save_image_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_size

LAYOUTS = ("inshop", "flat")


def family_ids(
    families: Iterable[str | int] | None,
    names: Sequence[str] = PATTERN_FAMILIES,
    table: str = "PATTERN_FAMILIES",
) -> list[int]:
    """Indices into `names` (the pattern families) of family names or indices.

    Args:
        families: names from `names` or their indices, mixed freely, or
            `None` for all families.
        names: the family names, indexed by family id.
        table: what `names` is called, for error messages.

    Returns:
        The indices, in the order given.

    Raises:
        ValueError: a name or index is unknown, or `families` is empty.
    """
    if families is None:
        return list(range(len(names)))
    families = list(families)
    ids = []
    for family in families:
        if isinstance(family, str) and family in names:
            ids.append(names.index(family))
        elif (
            isinstance(family, (int, np.integer))
            and not isinstance(family, bool)
            and 0 <= family < len(names)
        ):
            ids.append(int(family))
        else:
            raise ValueError(
                f'"families" must hold names from {table} or their indices. '
                f"Received: {family!r} in families={families!r}"
            )
    if not ids:
        raise ValueError('"families" must not be empty. Received: families=[]')
    return ids


class _Scenes:
    """Lazily draws items and views from per-scene random streams."""

    def __init__(self, seed, image_size, families):
        self.seed = seed
        self.size = image_size
        self.families = families
        self._items = {}

    def item(self, index):
        if index not in self._items:
            rng = np.random.default_rng([self.seed, index])
            family = self.families[index % len(self.families)]
            self._items[index] = sample_item(rng, family)
        return self._items[index]

    def view(self, index, k):
        rng = np.random.default_rng([self.seed, index, k + 1])
        return render_view(self.item(index), rng, self.size, VIEWS[k % len(VIEWS)])


def make_pattern_garments(
    n: int,
    image_size: Size = (256, 192),
    seed: int = 0,
    views_per_item: int = 1,
    families: Iterable[str | int] | None = None,
) -> dict[str, Any]:
    """Draws `n` synthetic shop photographs with masks and pattern labels.

    Items cycle through `families` (all 16 by default), so every family is
    covered once `n / views_per_item >= len(families)`; the main garment
    (the first of the outfit: dress, top, outer or pants) carries that
    family, styling garments are mostly solid.

    Args:
        n: number of scenes.
        image_size: `(height, width)`, both at least 16.
        seed: random seed; the output is a deterministic function of it.
        views_per_item: consecutive scenes showing the same item (front,
            side, back, full, additional views).
        families: optional subset of `PATTERN_FAMILIES` (names or indices)
            for the main garments.

    Returns:
        A dict with `images` uint8 `(n, H, W, 3)`, `masks` uint8 `(n, H, W)`
        (16-class ids), `pattern` int `(n,)` (family of the main garment),
        `item_id` int `(n,)`, `view`, `garment`, `category`, `gender`
        (string arrays `(n,)`) and `pattern_names` (`PATTERN_FAMILIES`).

    Example:

    >>> import keras_patterns as kp
    >>> data = kp.datasets.make_pattern_garments(4, image_size=(64, 48))
    >>> data["images"].shape, data["masks"].shape
    ((4, 64, 48, 3), (4, 64, 48))
    >>> data["pattern_names"][data["pattern"][1]]
    'horizontal_stripes'
    """
    n = check_int(n, "n")
    image_size = check_size(image_size, minimum=16)
    views_per_item = check_int(views_per_item, "views_per_item")
    scenes = _Scenes(int(seed), image_size, family_ids(families))
    images = np.empty((n, *image_size, 3), dtype=np.uint8)
    masks = np.empty((n, *image_size), dtype=np.uint8)
    meta = {
        key: []
        for key in ("pattern", "item_id", "view", "garment", "category", "gender")
    }
    for i in range(n):
        index, k = divmod(i, views_per_item)
        images[i], masks[i] = scenes.view(index, k)
        item = scenes.item(index)
        meta["pattern"].append(item.family)
        meta["item_id"].append(index)
        meta["view"].append(VIEWS[k % len(VIEWS)])
        meta["garment"].append(item.garments[0].name)
        meta["category"].append(item.category)
        meta["gender"].append(item.gender)
    out = {"images": images, "masks": masks, "pattern_names": PATTERN_FAMILIES}
    for key, values in meta.items():
        out[key] = np.array(
            values, dtype=np.int64 if key in ("pattern", "item_id") else str
        )
    return out


def _splits(n_items, views_per_item, rng):
    """Half the items train; the other half's views split into query/gallery."""
    order = rng.permutation(n_items)
    test = set(order[n_items // 2 :].tolist()) if n_items > 1 else set()
    splits = {}
    for index in range(n_items):
        for k in range(views_per_item):
            if index not in test:
                splits[index, k] = "train"
            elif views_per_item > 1:
                splits[index, k] = "query" if k == 0 else "gallery"
            else:
                splits[index, k] = "query" if index % 2 == 0 else "gallery"
    return splits


def _lowres(image):
    """The 256x256 ``img/`` version: padded to a square with white, resized."""
    height, width = image.shape[:2]
    side = max(height, width)
    canvas = np.full((side, side, 3), 255, dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    canvas[top : top + height, left : left + width] = image
    resized = Image.fromarray(canvas).resize((256, 256), Image.BILINEAR)
    return np.asarray(resized), (top, left, 256 / side)


def _bbox(labels, class_id, placement):
    ys, xs = np.nonzero(labels == class_id)
    if len(xs) == 0:
        return (0, 0, 0, 0)
    top, left, factor = placement
    return tuple(
        int(round(v))
        for v in (
            (xs.min() + left) * factor,
            (ys.min() + top) * factor,
            (xs.max() + 1 + left) * factor,
            (ys.max() + 1 + top) * factor,
        )
    )


def _save(path, summary, writer):
    if path.is_file():
        summary.skipped.append(str(path))
        return
    writer(path)
    summary.written.append(str(path))


def _list_text(rows, header):
    return (
        "\n".join(
            [str(len(rows)), " ".join(header), *(" ".join(map(str, r)) for r in rows)]
        )
        + "\n"
    )


def write_synthetic_inshop(
    root: PathLike,
    n_items: int = 32,
    views_per_item: int = 2,
    seed: int = 0,
    layout: str = "inshop",
    image_size: Size = (256, 192),
    mask_fraction: float = 1.0,
    families: Iterable[str | int] | None = None,
) -> PrepareSummary:
    """Writes synthetic scenes to disk in the DeepFashion In-shop formats.

    With `layout="inshop"` the files mirror the original benchmark:
    ``img_highres/<GENDER>/<Category>/id_<8 digits>/<NN>_<V>_<view>.jpg`` with
    ``_segment.png`` colour masks beside them, 256x256 copies under
    ``img/``, ``Eval/list_eval_partition.txt`` (half the items train, the
    others split into query and gallery views), ``Anno/list_item_inshop.txt``,
    ``Anno/list_bbox_inshop.txt`` (main garment box in ``img/`` pixels) and
    ``Anno/list_description_inshop.json`` (which names the pattern). With
    `layout="flat"` they follow the flat layout: ``images/NNNN_LLV.jpg`` and
    greyscale id masks ``masks/NNNN_LLV.png``.

    Files already present are kept (the content is deterministic), so an
    interrupted run resumes; each file is written atomically.

    Args:
        root: output folder.
        n_items: number of products.
        views_per_item: photographs per product.
        seed: random seed.
        layout: `"inshop"` (original) or `"flat"`.
        image_size: `(height, width)` of the high-resolution images.
        mask_fraction: share of images that get a mask (the real data set
            has masks for 13,752 of 52,712 images).
        families: optional subset of pattern families, as in
            `make_pattern_garments`.

    Returns:
        A `PrepareSummary` with the written and skipped paths.

    Example:

    >>> import tempfile
    >>> import keras_patterns as kp
    >>> root = tempfile.mkdtemp()
    >>> summary = kp.datasets.write_synthetic_inshop(root, n_items=2)
    >>> len(kp.datasets.load_inshop(root))
    4
    """
    root = Path(root)
    n_items = check_int(n_items, "n_items")
    views_per_item = check_int(views_per_item, "views_per_item")
    image_size = check_size(image_size, minimum=16)
    check_choice(layout, LAYOUTS, "layout")
    if not 0.0 <= mask_fraction <= 1.0:
        raise ValueError(
            '"mask_fraction" must lie in [0, 1]. '
            f"Received: mask_fraction={mask_fraction!r}"
        )
    scenes = _Scenes(int(seed), image_size, family_ids(families))
    rng = np.random.default_rng([int(seed), 2**31 - 1])
    splits = _splits(n_items, views_per_item, rng)
    has_mask = rng.random((n_items, views_per_item)) < mask_fraction
    summary = PrepareSummary()
    rows = {"partition": [], "bbox": [], "items": [], "descriptions": []}
    for index in range(n_items):
        item = scenes.item(index)
        item_id = f"id_{index + 1:08d}"
        rows["items"].append([item_id])
        family = PATTERN_FAMILIES[item.family].replace("_", " ")
        rows["descriptions"].append(
            {
                "item": item_id,
                "color": family,
                "description": [f"A {family} {item.garments[0].name}."],
            }
        )
        for k in range(views_per_item):
            view = VIEWS[k % len(VIEWS)]
            look = 1 + k // len(VIEWS)
            files = _ViewFiles(root, layout, item, item_id, index, look, view)
            # The original layout lists each main garment's box, so it
            # renders every view again; the flat layout skips finished ones.
            if layout == "inshop" or not files.all_present(has_mask[index, k]):
                image, labels = scenes.view(index, k)
                files.write(image, labels, has_mask[index, k], summary)
            else:
                summary.skipped.extend(str(p) for p in files.paths(has_mask[index, k]))
            if layout == "inshop":
                rows["partition"].append([files.name, item_id, splits[index, k]])
                box = files.bbox
                clothes = {"top": 1, "outer": 1, "pants": 2}.get(
                    item.garments[0].name, 3
                )
                rows["bbox"].append([files.name, clothes, 1, *box])
    if layout == "inshop":
        _write_lists(root, rows, summary)
    return summary


class _ViewFiles:
    """The files of one view in either layout."""

    def __init__(self, root, layout, item, item_id, index, look, view):
        self.layout = layout
        self.bbox = None
        self.item = item
        if layout == "inshop":
            self.name = (
                f"img/{item.gender}/{item.category}/{item_id}/"
                f"{look:02d}_{VIEW_DIGITS[view]}_{view}.jpg"
            )
            self.image = root / self.name.replace("img/", "img_highres/", 1)
            self.mask = self.image.with_name(self.image.stem + "_segment.png")
            self.lowres = root / self.name
        else:
            self.name = flat_name(FIRST_FLAT_ID + index, look, view)
            self.image = root / "images" / f"{self.name}.jpg"
            self.mask = root / "masks" / f"{self.name}.png"
            self.lowres = None

    def paths(self, with_mask):
        return [
            p for p in (self.image, self.lowres, self.mask if with_mask else None) if p
        ]

    def all_present(self, with_mask):
        return all(p.is_file() for p in self.paths(with_mask))

    def write(self, image, labels, with_mask, summary):
        _save(self.image, summary, lambda p: save_image_atomic(p, image, quality=95))
        if self.lowres is not None:
            small, placement = _lowres(image)
            self.bbox = _bbox(labels, ID[self.item.garments[0].name], placement)
            _save(
                self.lowres, summary, lambda p: save_image_atomic(p, small, quality=95)
            )
        if with_mask:
            mask = labels_to_rgb(labels) if self.layout == "inshop" else labels
            _save(self.mask, summary, lambda p: save_image_atomic(p, mask))


def _write_lists(root, rows, summary):
    texts = {
        PARTITION_FILE: _list_text(
            rows["partition"], ["image_name", "item_id", "evaluation_status"]
        ),
        "Anno/list_bbox_inshop.txt": _list_text(
            rows["bbox"],
            ["image_name", "clothes_type", "pose_type", "x_1", "y_1", "x_2", "y_2"],
        ),
        "Anno/list_item_inshop.txt": "\n".join(
            [str(len(rows["items"]))] + [r[0] for r in rows["items"]]
        )
        + "\n",
        "Anno/list_description_inshop.json": json.dumps(rows["descriptions"], indent=1),
    }
    for name, text in texts.items():
        path = root / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            summary.skipped.append(str(path))
        else:
            write_text_atomic(path, text)
            summary.written.append(str(path))
