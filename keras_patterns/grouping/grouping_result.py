"""GroupingResult: what `PatternGrouper.group` found, for programs and people."""

import csv
import io
import json
from collections.abc import Container
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from keras_patterns.grouping.items import GroupedItem
from keras_patterns.grouping.items import member_tiles
from keras_patterns.grouping.report import write_report
from keras_patterns.utils.deprecation import moved_names
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.visualization import contact_sheet

# Until 0.2.0 these lived here.
__getattr__ = moved_names(
    __name__,
    {
        "thumbnail": "keras_patterns.grouping.items:thumbnail",
        "GroupedItem": "keras_patterns.grouping.items:GroupedItem",
    },
)

CSV_COLUMNS = (
    "index",
    "source",
    "group",
    "class_name",
    "top",
    "left",
    "bottom",
    "right",
    "enhanced",
    "status",
)


class GroupingResult:
    """Groups of products sharing a pattern, and the inputs that failed.

    Written out as CSV (`to_csv`), JSON (`to_json`), PNG sheets
    (`contact_sheet`) or a page to open in a browser (`to_html`).

    Attributes:
        items: a `GroupedItem` per input, in input order.
        centroids: `(k, D)` group centroids in embedding space.
        timings: seconds spent in each stage (read, segment, cut, enhance,
            train (when `fit` trained the embedder), embed, cluster).

    Args:
        items: the `GroupedItem` objects, in input order.
        centroids: `(k, D)` group centroids.
        timings: seconds spent in each stage, or `None`.
    """

    def __init__(
        self,
        items: Iterable[GroupedItem],
        centroids: ArrayLike,
        timings: Mapping[str, float] | None = None,
    ) -> None:
        self.items = list(items)
        self.centroids = np.asarray(centroids)
        self.timings = dict(timings or {})

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"GroupingResult({len(self.items)} inputs, {len(self.groups)} groups, "
            f"{len(self.failures)} failed)"
        )

    @property
    def assignments(self) -> np.ndarray:
        """Group id per input, -1 for failed inputs."""
        return np.array([item.group for item in self.items], dtype=np.int64)

    @property
    def groups(self) -> dict[int, list[int]]:
        """``{group id: [input indices]}`` for the non-empty groups."""
        members = {}
        for item in self.items:
            if item.ok:
                members.setdefault(item.group, []).append(item.index)
        return dict(sorted(members.items()))

    @property
    def failures(self) -> list[tuple[str, str]]:
        """`[(source, reason)]` for every input that could not be grouped."""
        return [(item.source, item.error) for item in self.items if not item.ok]

    @property
    def embeddings(self) -> np.ndarray:
        """`(n_ok, D)` embeddings of the grouped inputs, in input order."""
        return np.stack([item.embedding for item in self.items if item.ok])

    def to_csv(self, path: PathLike) -> Path:
        """Writes one row per input (index, source, group, box, class, status).

        Args:
            path: output file.

        Returns:
            `path`, as a `Path`.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for item in self.items:
            box = item.box if item.box is not None else ("", "", "", "")
            writer.writerow(
                [
                    item.index,
                    item.source,
                    item.group,
                    item.class_name or "",
                    *box,
                    int(item.enhanced),
                    item.error or "ok",
                ]
            )
        write_text_atomic(path, out.getvalue())
        return Path(path)

    def to_json(self, path: PathLike, embeddings: bool = False) -> Path:
        """Writes inputs and groups (members, centroid) as JSON.

        Args:
            path: output file.
            embeddings: also write each input's embedding.

        Returns:
            `path`, as a `Path`.
        """
        items = []
        for item in self.items:
            entry = {
                "index": item.index,
                "source": item.source,
                "group": item.group,
                "box": list(item.box) if item.box is not None else None,
                "class_name": item.class_name,
                "enhanced": item.enhanced,
                "error": item.error,
            }
            if embeddings and item.embedding is not None:
                entry["embedding"] = [round(float(v), 6) for v in item.embedding]
            items.append(entry)
        groups = [
            {
                "group": int(g),
                "members": members,
                "centroid": [round(float(v), 6) for v in self.centroids[g]],
            }
            for g, members in self.groups.items()
        ]
        write_text_atomic(
            path, json.dumps({"items": items, "groups": groups}, indent=1)
        )
        return Path(path)

    def contact_sheet(
        self,
        path: PathLike,
        per_group: int = 8,
        groups: Container[int] | None = None,
    ) -> list[Path]:
        """Saves PNG sheets: per group, its patches and the products they came from.

        Args:
            path: a `.png` file (one sheet with every group, a row pair per
                group) or a folder (one `group_XX.png` per group).
            per_group: members shown per group.
            groups: the group ids to show (default: all).

        Returns:
            The list of written files.
        """
        path = Path(path)
        chosen = {g: m for g, m in self.groups.items() if groups is None or g in groups}
        if not chosen:
            raise ValueError("There is no group to show: every input failed.")
        sheets = {
            g: self._group_tiles(members[:per_group], per_group)
            for g, members in chosen.items()
        }
        written = []
        if path.suffix.lower() == ".png":
            tiles, captions = [], []
            for g, (group_tiles, group_captions) in sheets.items():
                tiles += group_tiles
                captions += [f"group {g}"] + group_captions[1:]
            image = contact_sheet(
                tiles, captions, columns=2 * per_group, thumb_height=96
            )
            written.append(self._save(image, path))
        else:
            for g, (group_tiles, group_captions) in sheets.items():
                image = contact_sheet(
                    group_tiles, group_captions, columns=2 * per_group, thumb_height=128
                )
                written.append(self._save(image, path / f"group_{g:02d}.png"))
        return written

    def to_html(
        self, folder: PathLike, per_group: int = 48, title: str = "Pattern groups"
    ) -> Path:
        """Writes a report to open in a browser: `folder/report.html`.

        A static page, no server and nothing from the network: a summary
        (counts, group sizes, seconds per stage), then a section per group
        whose members show their photo with the patch outlined, the patch,
        the file name, the garment class and whether the patch was
        enhanced, ordered by cosine distance to the group's centroid
        (`1 - cos`; embeddings are L2-normalised, so this is the order of
        the Euclidean distance too), the most typical first; last, the
        failed inputs with their reasons. Thumbnails go to `folder/thumbs/`
        and are written once: a later report into the same folder reuses
        them (and re-reads no photo), and a changed source gets new ones.

        Args:
            folder: the output folder, created if missing.
            per_group: members shown per group; the rest are counted
                ("and N more").
            title: the page's title.

        Returns:
            The page's path, `folder/report.html`.

        Raises:
            ValueError: `per_group` is not a positive int, or `folder` is a
                file.

        Example:

        >>> import tempfile
        >>> import keras_patterns as kp
        >>> patches = kp.datasets.make_pattern_patches(6, (64, 64))["images"]
        >>> grouper = kp.PatternGrouper.from_preset("patterns_synthetic",
        ...                                         progress=False)
        >>> page = grouper.group(list(patches)).to_html(tempfile.mkdtemp())
        >>> page.name, len(list((page.parent / "thumbs").iterdir()))
        ('report.html', 6)

        Open it with `webbrowser.open(page.as_uri())`.
        """
        return write_report(self, folder, per_group=per_group, title=title)

    def _group_tiles(self, members, per_group):
        tiles, captions = [], []
        for index in members:
            tiles += member_tiles(self.items[index])
            item = self.items[index]
            captions += [
                f"#{index} {item.class_name or ''}"[:18],
                Path(item.source).name[:18],
            ]
        blank = np.full((96, 96, 3), 255, np.uint8)  # keeps every group on its own row
        missing = 2 * per_group - len(tiles)
        return tiles + [blank] * missing, captions + [""] * missing

    @staticmethod
    def _save(image, path):
        with atomic_path(path) as tmp:
            image.save(tmp, format="PNG")
        return path
