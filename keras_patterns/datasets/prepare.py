"""Converting DeepFashion In-shop to the flat layout, safely and resumably.

The original preparation script deleted and moved files in place and was
slow. `prepare_inshop` reads the source tree without touching it,
writes every output atomically (a temporary file renamed into place), skips
pairs that are already converted, runs in parallel, and keeps what the flat
file names lose (official item id, gender, category, view, split) in a
manifest.
"""

import concurrent.futures
import csv
import dataclasses
import io
import os
from pathlib import Path

from PIL import Image

from keras_patterns.datasets.inshop import load_inshop
from keras_patterns.datasets.inshop import read_mask
from keras_patterns.datasets.inshop_layout import FIRST_FLAT_ID
from keras_patterns.datasets.inshop_layout import MANIFEST_COLUMNS
from keras_patterns.datasets.inshop_layout import MANIFEST_FILE
from keras_patterns.datasets.inshop_layout import PrepareSummary
from keras_patterns.datasets.inshop_layout import flat_name
from keras_patterns.utils.image_reader import open_image
from keras_patterns.utils.image_reader import read_image
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.io import encode_png_gray
from keras_patterns.utils.io import write_bytes_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.progress import progress_bar
from keras_patterns.utils.typing import PathLike


@dataclasses.dataclass(frozen=True)
class _Pair:
    name: str
    record: object
    image_out: Path
    mask_out: Path


def _plan(records, destination):
    """Numbers items in sorted official-id order and names every pair."""
    items = sorted({r.item_id for r in records})
    numbers = {item: FIRST_FLAT_ID + i for i, item in enumerate(items)}
    pairs, seen = [], set()
    for record in records:
        name = flat_name(numbers[record.item_id], record.look, record.view)
        if name in seen:
            raise ValueError(
                f"Two images map to the flat name {name!r} (item {record.item_id}, "
                f"look {record.look}, view {record.view}); check the source."
            )
        seen.add(name)
        pairs.append(
            _Pair(
                name,
                record,
                destination / "images" / f"{name}.jpg",
                destination / "masks" / f"{name}.png",
            )
        )
    return pairs


def _verify_image(data, name):
    """Decodes an image fully enough to catch corruption; returns (size, format).

    A JPEG is decoded at 1/8 scale (its DCT draft mode): the entropy-coded
    data is still read to the end, so truncation and corruption are caught,
    at a fraction of the cost of a full decode. The shared reader's guards
    apply: a decompression bomb is refused from its header, and every
    failure is an `ImageReadError` naming `name`.
    """
    with open_image(io.BytesIO(data), name=name) as image:
        size, fmt = image.size, image.format
        if fmt == "JPEG":
            image.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
        image.load()
    return size, fmt


def _convert(pair, unknown):
    """Converts one pair; returns `None` or the reason it failed."""
    record = pair.record
    name = str(record.image_path)
    try:
        data = Path(record.image_path).read_bytes()
        size, fmt = _verify_image(data, name)
        labels = read_mask(record.mask_path, unknown=unknown)
        # Other formats become JPEG through the shared reader (transparency
        # on white, 16-bit scaled), in stored orientation (exif=False): the
        # mask was drawn on these pixels.
        pixels = (
            None
            if fmt == "JPEG"
            else read_image(io.BytesIO(data), exif=False, name=name)
        )
    except (OSError, ValueError, SyntaxError) as error:
        return f"{type(error).__name__}: {error}"
    if labels.shape[::-1] != size:
        return (
            f"mask size {labels.shape[1]}x{labels.shape[0]} differs from image "
            f"size {size[0]}x{size[1]}"
        )
    if pixels is None:  # Copy the bytes: re-encoding would lose quality for nothing.
        write_bytes_atomic(pair.image_out, data)
    else:
        with atomic_path(pair.image_out) as tmp:
            Image.fromarray(pixels).save(tmp, format="JPEG", quality=95)
    write_bytes_atomic(pair.mask_out, encode_png_gray(labels))
    return None


def _manifest_text(pairs, source):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for pair in sorted(pairs, key=lambda p: p.name):
        r = pair.record
        writer.writerow(
            [
                pair.name,
                r.item_id,
                r.split or "",
                r.gender or "",
                r.category or "",
                r.view or "",
                r.look if r.look is not None else "",
                os.path.relpath(r.image_path, source),
                os.path.relpath(r.mask_path, source),
            ]
        )
    return out.getvalue()


def _write_if_changed(path, text):
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_text_atomic(path, text)
    return True


def _check_paths(source, destination):
    if not source.is_dir():
        raise FileNotFoundError(
            f'"source" must be a folder. Received: source={str(source)!r}'
        )
    src, dst = source.resolve(), destination.resolve()
    if dst == src or src in dst.parents:
        raise ValueError(
            '"destination" must lie outside "source", which is never modified. '
            f"Received: source={str(source)!r}, destination={str(destination)!r}"
        )


def prepare_inshop(
    source: PathLike,
    destination: PathLike,
    resolution: str = "highres",
    workers: int | None = None,
    unknown: str = "error",
    progress: bool = True,
) -> PrepareSummary:
    """Converts DeepFashion In-shop (original layout) to the flat layout.

    Every image that has a segmentation mask becomes
    ``destination/images/NNNN_LLV.jpg`` (the original JPEG bytes, after a
    full decode proves them sound) and ``destination/masks/NNNN_LLV.png``
    (8-bit class ids). Items are numbered from 1000 in sorted official-id
    order; ``manifest.csv`` maps every flat name back to its item id,
    split, gender, category, view, look and source files, and
    `load_inshop(destination)` reads it.

    The source tree is only read. Each output is written to a temporary file
    and renamed into place, so an interrupted run leaves no partial file; a
    second run skips what is done and writes nothing new. A corrupt image, a
    mask with an unknown colour or a size mismatch is reported in the
    summary and skipped while the rest goes on.

    Args:
        source: root of the original layout (``Eval/``, ``img_highres/``).
        destination: output folder (created; must be outside `source`).
        resolution: `"highres"` (default): the masks belong to the
            high-resolution images.
        workers: parallel threads (default: the number of CPUs; 1 runs in
            the calling thread). Decoding and encoding release the GIL.
        unknown: mask colours outside the table: `"error"` (default) fails
            that pair; `"ignore"` converts it with `IGNORE_LABEL` there.
        progress: show a progress bar.

    Returns:
        A `PrepareSummary` listing written, skipped and failed pairs.

    Example:

    >>> import tempfile
    >>> import keras_patterns as kp
    >>> src, dst = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = kp.datasets.write_synthetic_inshop(src, n_items=2, views_per_item=2)
    >>> summary = kp.datasets.prepare_inshop(src, dst, progress=False)
    >>> len(summary.written), len(summary.failed)
    (4, 0)
    """
    source, destination = Path(source), Path(destination)
    _check_paths(source, destination)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(
            f'"workers" must be a positive int or None. Received: workers={workers!r}'
        )
    records = load_inshop(source, layout="inshop", resolution=resolution)
    pairs = _plan(records.with_masks(), destination)
    summary = PrepareSummary(manifest=str(destination / MANIFEST_FILE))
    todo = []
    for pair in pairs:
        done = pair.image_out.is_file() and pair.mask_out.is_file()
        (summary.skipped.append(pair.name) if done else todo.append(pair))
    converted = []
    workers = workers or os.cpu_count() or 1
    with progress_bar(len(todo), "pair", enabled=progress and bool(todo)) as bar:
        if workers == 1:
            results = (_convert(pair, unknown) for pair in todo)
        else:
            pool = concurrent.futures.ThreadPoolExecutor(workers)
            results = pool.map(_convert, todo, [unknown] * len(todo))
        for pair, reason in zip(todo, results, strict=True):
            if reason is None:
                summary.written.append(pair.name)
                converted.append(pair)
            else:
                summary.failed.append((pair.record.image_path, reason))
            bar.update(1)
        if workers > 1:
            pool.shutdown()
    skipped = set(summary.skipped)
    kept = [p for p in pairs if p.name in skipped] + converted
    text = _manifest_text(kept, source)
    summary.manifest_written = _write_if_changed(destination / MANIFEST_FILE, text)
    return summary
