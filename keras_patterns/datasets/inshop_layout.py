"""The two on-disk layouts of DeepFashion In-shop: file names and views.

The original layout lists every image in ``Eval/list_eval_partition.txt``;
the flat layout names each image ``images/NNNN_LLV.jpg`` (item number, look,
view digit) beside ``masks/NNNN_LLV.png`` and a ``manifest.csv``. The reader
(`load_inshop`), the converter (`prepare_inshop`) and the synthetic writer
(`write_synthetic_inshop`) share these names, and the summary a writer
returns, from here.
"""

import dataclasses

PARTITION_FILE = "Eval/list_eval_partition.txt"
BBOX_FILE = "Anno/list_bbox_inshop.txt"
ITEM_FILE = "Anno/list_item_inshop.txt"
MANIFEST_FILE = "manifest.csv"
SPLITS = ("train", "query", "gallery")
VIEW_NAMES = {1: "front", 2: "side", 3: "back", 4: "full", 6: "flat", 7: "additional"}
"""View digit (``NN_V_<view>.jpg`` and flat ``NNNN_LLV``) to view name."""
VIEW_DIGITS = {name: digit for digit, name in VIEW_NAMES.items()}
RESOLUTIONS = {"highres": "img_highres", "lowres": "img"}

FIRST_FLAT_ID = 1000
MANIFEST_COLUMNS = (
    "name",
    "item_id",
    "split",
    "gender",
    "category",
    "view",
    "look",
    "source_image",
    "source_mask",
)


@dataclasses.dataclass
class PrepareSummary:
    """What `prepare_inshop` (or `write_synthetic_inshop`) wrote.

    Attributes:
        written: flat names (``NNNN_LLV``) converted by this run.
        skipped: flat names already present from an earlier run.
        failed: `(source_path, reason)` for each pair that could not be
            converted (corrupt image, unknown mask colour, size mismatch...).
        manifest: path of the manifest.
        manifest_written: whether this run (re)wrote the manifest.
    """

    written: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    manifest: str | None = None
    manifest_written: bool = False

    def __getitem__(self, key):
        return getattr(self, key)

    def __repr__(self):
        return (
            f"PrepareSummary(written={len(self.written)}, skipped={len(self.skipped)}, "
            f"failed={len(self.failed)})"
        )

    def __str__(self):
        lines = [
            f"written {len(self.written)}, skipped {len(self.skipped)} "
            f"(already done), failed {len(self.failed)}"
        ]
        lines += [f"  failed: {path}: {reason}" for path, reason in self.failed]
        return "\n".join(lines)


def flat_name(flat_id: int, look: int | None, view: str | int) -> str:
    """The flat-layout stem ``NNNN_LLV`` for an item number, look and view.

    Args:
        flat_id: the item number ``NNNN``.
        look: the look number ``LL`` (`None` counts as 0).
        view: a view name of `VIEW_NAMES` (digit 0 if it is not there) or
            a view digit.

    Returns:
        The stem, for example `"1000_011"`.
    """
    digit = VIEW_DIGITS.get(view, 0) if isinstance(view, str) else int(view)
    return f"{flat_id:04d}_{int(look or 0):02d}{digit}"
