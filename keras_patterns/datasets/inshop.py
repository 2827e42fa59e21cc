"""Reading DeepFashion In-shop, in its original layout or the flat one.

The original benchmark layout is described in the documentation's data page:
``Eval/list_eval_partition.txt`` lists every image with its item id and
split; images live under ``img/`` (256x256) and ``img_highres/``; the 13,752
segmentation masks are ``<stem>_segment.png`` files beside the high-res JPEGs.
The flat layout is ``images/NNNN_LLV.jpg`` with ``masks/NNNN_LLV.png`` holding
class ids as 8-bit grey levels.
"""

import dataclasses
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from keras_patterns.datasets.inshop_classes import check_label_ids
from keras_patterns.datasets.inshop_classes import rgb_mask_to_labels
from keras_patterns.datasets.inshop_layout import BBOX_FILE
from keras_patterns.datasets.inshop_layout import ITEM_FILE
from keras_patterns.datasets.inshop_layout import MANIFEST_FILE
from keras_patterns.datasets.inshop_layout import PARTITION_FILE
from keras_patterns.datasets.inshop_layout import RESOLUTIONS
from keras_patterns.datasets.inshop_layout import SPLITS
from keras_patterns.datasets.inshop_layout import VIEW_NAMES
from keras_patterns.datasets.inshop_lists import read_item_list
from keras_patterns.datasets.inshop_lists import read_list_file
from keras_patterns.datasets.inshop_lists import read_manifest
from keras_patterns.utils.image_reader import open_image
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_choice

LAYOUTS = ("auto", "inshop", "flat")
MISSING_MODES = ("warn", "error", "ignore")

_ORIGINAL_NAME = re.compile(r"^(\d+)_(\d+)_([A-Za-z]+)$")
_FLAT_NAME = re.compile(r"^(\d+)_(\d+)(\d)$")


@dataclasses.dataclass(frozen=True)
class InshopRecord:
    """One image of DeepFashion In-shop and what is known about it.

    Fields are reachable as attributes or as keys (`record["item_id"]`).

    Attributes:
        image_path: path of the image file.
        mask_path: path of its segmentation mask, or `None` when absent.
        item_id: product id (`id_00000002` in the original layout, `NNNN`
            in the flat layout).
        split: `"train"`, `"query"`, `"gallery"`, or `None` when unknown.
        gender: `"MEN"` or `"WOMEN"`, or `None`.
        category: clothing category folder (`"Dresses"`...), or `None`.
        view: `"front"`, `"side"`, `"back"`, `"full"`, `"flat"`,
            `"additional"`, or `None`.
        look: the look number `NN` of the file name, or `None`.
        clothes_type: 1 upper, 2 lower, 3 full body (bbox list), or `None`.
        pose_type: 1 front ... 6 stand-alone (bbox list), or `None`.
        bbox: `(x_1, y_1, x_2, y_2)` as listed in the bbox file, or `None`.
        source_item_id: for the flat layout with a manifest, the official
            item id the `NNNN` number stands for; otherwise `None`.
    """

    image_path: str
    mask_path: str | None
    item_id: str
    split: str | None = None
    gender: str | None = None
    category: str | None = None
    view: str | None = None
    look: int | None = None
    clothes_type: int | None = None
    pose_type: int | None = None
    bbox: tuple[int, int, int, int] | None = None
    source_item_id: str | None = None

    def __getitem__(self, key):
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The field names, in declaration order.

        Returns:
            A tuple of str, the keys `record[key]` accepts.
        """
        return tuple(f.name for f in dataclasses.fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict.

        Returns:
            A `{field: value}` dict, one entry per field.
        """
        return dataclasses.asdict(self)


class InshopRecords(list):
    """A list of `InshopRecord` plus what the loader noticed.

    Attributes:
        layout: `"inshop"` or `"flat"`.
        root: the folder that was read.
        missing: paths listed by the annotations but absent on disk (those
            images are left out of the list).

    Args:
        records: the `InshopRecord` objects, in order.
        layout: sets `layout`.
        root: sets `root`.
        missing: sets `missing`.
    """

    def __init__(
        self,
        records: Iterable[InshopRecord] = (),
        layout: str | None = None,
        root: str | None = None,
        missing: Iterable[str] = (),
    ) -> None:
        super().__init__(records)
        self.layout = layout
        self.root = root
        self.missing = list(missing)

    def with_masks(self) -> "InshopRecords":
        """The records that have a segmentation mask.

        Returns:
            A new `InshopRecords` with the same `layout` and `root`.
        """
        return InshopRecords(
            (r for r in self if r.mask_path is not None), self.layout, self.root
        )

    def column(self, name: str) -> list[Any]:
        """One field of every record, as a list.

        Args:
            name: the field, for example `"item_id"`.

        Returns:
            The field's value for each record, in order.
        """
        return [getattr(r, name) for r in self]


def read_mask(path: PathLike, unknown: str = "error") -> np.ndarray:
    """Reads an In-shop mask file as class ids, whatever its encoding.

    RGB, RGBA and palette PNGs are mapped through the colour table (alpha is
    ignored); 8-bit greyscale PNGs (the flat layout) are taken as ids.

    Args:
        path: the mask file.
        unknown: `"error"` raises an `UnknownMaskColorError` naming the file
            and the colours; `"ignore"` labels them `IGNORE_LABEL`.

    Returns:
        uint8 array of shape `(H, W)`.

    Raises:
        ImageReadError: the file is not a readable image, or has more
            pixels than `keras_patterns.utils.image_reader.MAX_IMAGE_PIXELS`.
    """
    # The shared reader's guards (size limit, one error type), but none of
    # its photo conversions: a label map is read exactly as stored, without
    # EXIF turns or compositing.
    with open_image(path) as image:
        image.load()
        ids = image.mode in ("L", "I", "I;16")
        # RGBA decodes straight into packed 32-bit pixels (see rgb_mask_to_labels).
        pixels = np.asarray(image if ids else image.convert("RGBA"))
    if ids:
        return check_label_ids(pixels, unknown, source=str(path))
    return rgb_mask_to_labels(pixels, unknown, source=str(path))


def _detect_layout(root):
    if (root / PARTITION_FILE).is_file():
        return "inshop"
    if (root / "images").is_dir():
        return "flat"
    raise FileNotFoundError(
        f"{root} holds neither the original In-shop layout ({PARTITION_FILE}) "
        "nor the flat layout (images/ and masks/ folders)."
    )


def _report_missing(missing, mode, root):
    if not missing:
        return
    message = (
        f"{len(missing)} file(s) listed under {root} are missing, first: "
        f"{missing[0]}. They are left out; see `records.missing`."
    )
    if mode == "error":
        raise FileNotFoundError(message)
    if mode == "warn":
        warnings.warn(message, stacklevel=3)


def _read_bboxes(root):
    path = root / BBOX_FILE
    if not path.is_file():
        return {}
    header = ["image_name", "clothes_type", "pose_type", "x_1", "y_1", "x_2", "y_2"]
    return {
        row[0]: (int(row[1]), int(row[2]), tuple(int(v) for v in row[3:7]))
        for row in read_list_file(path, header)
    }


def _original_record(root, name, item_id, split, folder, bboxes):
    parts = Path(name).parts
    if len(parts) != 5 or parts[0] != "img":
        raise ValueError(
            f"{root / PARTITION_FILE}: expected image names like "
            f"'img/WOMEN/Dresses/id_00000002/02_1_front.jpg', found {name!r}"
        )
    _, gender, category, item_folder, filename = parts
    if item_folder != item_id:
        raise ValueError(
            f"{root / PARTITION_FILE}: {name!r} is listed under item {item_id!r}."
        )
    image = root.joinpath(folder, *parts[1:])
    match = _ORIGINAL_NAME.match(Path(filename).stem)
    look, view = (int(match.group(1)), match.group(3)) if match else (None, None)
    mask = image.with_name(f"{image.stem}_segment.png")
    has_mask = folder == RESOLUTIONS["highres"] and mask.is_file()
    clothes_type, pose_type, bbox = bboxes.get(name, (None, None, None))
    return InshopRecord(
        image_path=str(image),
        mask_path=str(mask) if has_mask else None,
        item_id=item_id,
        split=split,
        gender=gender,
        category=category,
        view=view,
        look=look,
        clothes_type=clothes_type,
        pose_type=pose_type,
        bbox=bbox,
    )


def _load_original(root, resolution):
    header = ["image_name", "item_id", "evaluation_status"]
    rows = read_list_file(root / PARTITION_FILE, header)
    bad = [row for row in rows if row[2] not in SPLITS]
    if bad:
        raise ValueError(
            f"{root / PARTITION_FILE}: evaluation_status must be one of {SPLITS}; "
            f"found {bad[0][2]!r} for {bad[0][0]!r}"
        )
    if (root / ITEM_FILE).is_file():
        items = set(read_item_list(root / ITEM_FILE))
        strays = sorted({row[1] for row in rows} - items)
        if strays:
            warnings.warn(
                f"{len(strays)} item id(s) of the partition are not in "
                f"{ITEM_FILE}, first: {strays[0]}",
                stacklevel=3,
            )
    bboxes = _read_bboxes(root)
    folder = RESOLUTIONS[resolution]
    records, missing = [], []
    for name, item_id, split in rows:
        record = _original_record(root, name, item_id, split, folder, bboxes)
        if Path(record.image_path).is_file():
            records.append(record)
        else:
            missing.append(record.image_path)
    return records, missing


def _load_flat(root):
    images = {p.stem: p for p in sorted((root / "images").glob("*.jpg"))}
    masks = {p.stem: p for p in sorted((root / "masks").glob("*.png"))}
    manifest = {}
    if (root / MANIFEST_FILE).is_file():
        manifest = read_manifest(root / MANIFEST_FILE)
    records = []
    skipped = [name for name in images if not _FLAT_NAME.match(name)]
    if skipped:
        warnings.warn(
            f"{len(skipped)} file(s) in {root / 'images'} are not named NNNN_LLV.jpg "
            f"and are left out, first: {skipped[0]}.jpg",
            stacklevel=3,
        )
    for name, image in images.items():
        match = _FLAT_NAME.match(name)
        if not match:
            continue
        info = manifest.get(name, {})
        records.append(
            InshopRecord(
                image_path=str(image),
                mask_path=str(masks[name]) if name in masks else None,
                item_id=match.group(1),
                split=info.get("split") or None,
                gender=info.get("gender") or None,
                category=info.get("category") or None,
                view=VIEW_NAMES.get(int(match.group(3)), match.group(3)),
                look=int(match.group(2)),
                source_item_id=info.get("item_id") or None,
            )
        )
    missing = [str(root / "images" / f"{n}.jpg") for n in masks if n not in images]
    return records, missing


def load_inshop(
    root: PathLike,
    layout: str = "auto",
    resolution: str = "highres",
    missing: str = "warn",
) -> InshopRecords:
    """Lists the images of DeepFashion In-shop with their masks and metadata.

    Reads either layout:

    - **original** (``Eval/list_eval_partition.txt``, ``img_highres/``...):
      every image of the partition file, with split, gender, category, view
      and look taken from its path, clothes/pose type and box from
      ``Anno/list_bbox_inshop.txt`` when present, and the
      ``<stem>_segment.png`` mask beside the high-resolution JPEG when there
      is one (13,752 of 52,712 images). Count and header lines are checked.
    - **flat** (``images/NNNN_LLV.jpg``, ``masks/NNNN_LLV.png``): `item_id`
      is ``NNNN``; `split`, `gender` and `category` are `None` unless the
      folder holds the ``manifest.csv`` written by `prepare_inshop`, which
      restores them (and the official id as `source_item_id`).

    Masks are high resolution, so with `resolution="lowres"` (the 256x256
    ``img/`` folder) `mask_path` is always `None`: a low-resolution image
    is never paired with a high-resolution mask.

    Args:
        root: the dataset folder.
        layout: `"auto"` (default, detected from the files), `"inshop"` or
            `"flat"`.
        resolution: original layout only: `"highres"` (default,
            ``img_highres/``, the images the masks belong to) or `"lowres"`
            (``img/``).
        missing: what to do with listed files that are absent: `"warn"`
            (default), `"error"` (`FileNotFoundError`) or `"ignore"`. They are
            left out of the result and listed in its `missing` attribute.

    Returns:
        An `InshopRecords` list of `InshopRecord`, in file order.

    Example:

    >>> import tempfile
    >>> import keras_patterns as kp
    >>> root = tempfile.mkdtemp()
    >>> _ = kp.datasets.write_synthetic_inshop(root, n_items=3, views_per_item=2)
    >>> records = kp.datasets.load_inshop(root)
    >>> len(records), records[0].split in ("train", "query", "gallery")
    (6, True)
    """
    root = Path(root)
    check_choice(layout, LAYOUTS, "layout")
    check_choice(resolution, RESOLUTIONS, "resolution")
    check_choice(missing, MISSING_MODES, "missing")
    if not root.is_dir():
        raise FileNotFoundError(
            f'"root" must be a folder. Received: root={str(root)!r}'
        )
    if layout == "auto":
        layout = _detect_layout(root)
    if layout == "inshop":
        records, absent = _load_original(root, resolution)
    else:
        records, absent = _load_flat(root)
    _report_missing(absent, missing, root)
    return InshopRecords(records, layout=layout, root=str(root), missing=absent)
