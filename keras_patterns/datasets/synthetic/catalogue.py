"""A synthetic product catalogue on disk: photos, categories, pattern families."""

import csv
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np

from keras_patterns.datasets.synthetic.generator import make_pattern_garments
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.utils.io import save_image_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Size
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_size


class Catalogue(NamedTuple):
    """The photos `write_synthetic_catalogue` wrote, in order."""

    files: list[str]
    """Path of each photo (a str)."""
    garments: list[str]
    """The garment class each photo sells (`"top"`, `"dress"`, ...)."""
    patterns: np.ndarray
    """Index into `PATTERN_FAMILIES` of each photo's garment pattern."""


def write_synthetic_catalogue(
    folder: PathLike,
    photos_per_family: int = 20,
    seed: int = 0,
    image_size: Size = (256, 192),
    quality: int = 92,
) -> Catalogue:
    """Writes a catalogue of synthetic product photos, as a shop would have it.

    `photos_per_family * len(PATTERN_FAMILIES)` photos of distinct items
    (`make_pattern_garments`), saved as `product_NNNN.jpg` in `folder`, and
    `catalogue.csv` beside the folder with each file's garment category
    (what a catalogue knows) and pattern family (the answer a grouping is
    scored against). Photos already present are kept, so a run resumes;
    every file is written atomically.

    Args:
        folder: where the photos go (created).
        photos_per_family: photos per pattern family.
        seed: random seed of the scenes.
        image_size: `(height, width)` of the photos.
        quality: JPEG quality.

    Returns:
        A `Catalogue(files, garments, patterns)`.

    Example:

    >>> import tempfile, pathlib
    >>> from keras_patterns.datasets import write_synthetic_catalogue
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> files, garments, patterns = write_synthetic_catalogue(
    ...     root / "photos", photos_per_family=1, image_size=(64, 48))
    >>> len(files), (root / "catalogue.csv").is_file()
    (16, True)
    """
    folder = Path(folder)
    count = check_int(photos_per_family, "photos_per_family") * len(PATTERN_FAMILIES)
    size = check_size(image_size, "image_size", minimum=16)
    data = make_pattern_garments(count, size, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, image in enumerate(data["images"]):
        path = folder / f"product_{i:04d}.jpg"
        if not path.is_file():
            save_image_atomic(path, image, quality=quality)
        rows.append(
            (path.name, data["garment"][i], PATTERN_FAMILIES[data["pattern"][i]])
        )
    table = io.StringIO()
    csv.writer(table, lineterminator="\n").writerows(
        [("file", "garment", "pattern"), *rows]
    )
    write_text_atomic(folder.parent / "catalogue.csv", table.getvalue())
    return Catalogue(
        [str(folder / row[0]) for row in rows],
        [row[1] for row in rows],
        data["pattern"],
    )
