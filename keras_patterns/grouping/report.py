"""The grouping report: one static HTML page of the groups, for a browser.

`GroupingResult.to_html` calls `write_report`. The page needs no server and
loads nothing from the network: its style is inline and its thumbnails are
JPEG files in a `thumbs/` folder beside it, so the folder can be opened from
disk (`file://`), zipped or copied as a whole.
"""

import hashlib
import html
import logging
import os
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import numpy as np
from PIL import Image

from keras_patterns.grouping.items import GroupedItem
from keras_patterns.grouping.items import member_tiles
from keras_patterns.utils.io import save_image_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_int

logger = logging.getLogger(__name__)


class Grouping(Protocol):
    """What the report reads of a `GroupingResult`."""

    items: list[GroupedItem]
    centroids: np.ndarray
    timings: dict[str, float]

    @property
    def groups(self) -> dict[int, list[int]]: ...

    @property
    def failures(self) -> list[tuple[str, str]]: ...


PAGE = "report.html"
THUMBS = "thumbs"
PATCH_SIDE = 96  # pixels of a patch thumbnail; the page shows it at 64
EAGER_TILES = 40  # tiles loaded with the page; the others lazily

CSS = """
:root { --ink: #1d2430; --muted: #5f6b7a; --line: #dfe3e8; --accent: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: #f4f6f8; }
header { background: #1d2430; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c7cfd9; }
main { padding: 20px 28px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 14px 18px; margin: 0 0 18px; }
h2 { margin: 0 0 10px; font-size: 17px; }
h2 .size { color: var(--muted); font-weight: normal; margin-left: 8px; }
table { border-collapse: collapse; }
td, th { padding: 3px 14px 3px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.summary { display: flex; gap: 40px; flex-wrap: wrap; }
nav a { display: inline-block; margin: 3px 6px 3px 0; padding: 2px 9px;
  border-radius: 12px; background: #e8edf3; color: var(--ink); text-decoration: none; }
nav a:hover { background: #d3dbe6; }
.grid { display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); }
figure { margin: 0; padding: 6px; border: 1px solid var(--line); border-radius: 6px;
  background: #fafbfc; min-width: 0; }
.pics { display: flex; gap: 6px; align-items: flex-start; height: 128px; }
img.photo { height: 128px; max-width: 118px; object-fit: contain; }
img.patch { width: 64px; height: 64px; object-fit: cover; border: 1px solid var(--line);
  image-rendering: pixelated; }
figcaption { margin-top: 4px; font-size: 12px; }
.name { display: block; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; max-width: 480px; }
.meta { color: var(--muted); }
.tag { color: #fff; background: #2e7d32; border-radius: 3px; padding: 0 4px; }
.more { color: var(--muted); margin: 10px 0 0; }
.reason { color: var(--accent); }
"""


def centre_distances(embeddings: ArrayLike, centre: ArrayLike) -> np.ndarray:
    """Cosine distance, `1 - cos`, of each embedding to a group's centre.

    For L2-normalised embeddings (the grouper's), this orders them exactly
    as the Euclidean distance to the centre does
    (`|e - c|^2 = 1 + |c|^2 - 2 e.c`), and so as the grouping's k-means
    compared them (spherical k-means assigns by cosine, Euclidean k-means
    by that distance).

    Args:
        embeddings: `(n, D)` vectors.
        centre: the `(D,)` centre.

    Returns:
        `(n,)` distances in `[0, 2]`, 0 for a vector pointing at the centre.

    Raises:
        ValueError: the shapes do not match.

    Example:

    >>> from keras_patterns.grouping.report import centre_distances
    >>> centre_distances([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], [2.0, 0.0])
    array([0., 1., 2.])
    """
    vectors = np.asarray(embeddings, np.float64)
    centre = np.asarray(centre, np.float64)
    if vectors.ndim != 2 or centre.shape != vectors.shape[1:]:
        raise ValueError(
            '"embeddings" must be (n, D) and "centre" (D,). Received: '
            f"embeddings of shape {vectors.shape}, centre of shape {centre.shape}"
        )
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(centre)
    return 1.0 - vectors @ centre / np.maximum(norms, 1e-12)


def ranked_members(result: Grouping, group: int) -> list[tuple[int, float]]:
    """A group's `(input index, distance)` pairs, the most typical first.

    Distances are `centre_distances` to the group's centroid (to the mean of
    its members' embeddings if the result has no centroid for it); ties go
    to the earlier input.

    Args:
        result: a `GroupingResult`.
        group: a group id of `result.groups`.

    Returns:
        The members' indices and distances, by increasing distance.
    """
    return _ranked(result, group, result.groups[group])


def _ranked(result, group, members):
    vectors = np.stack([result.items[i].embedding for i in members])
    centroids = result.centroids
    centre = centroids[group] if group < len(centroids) else vectors.mean(axis=0)
    distances = centre_distances(vectors, centre)
    return sorted(zip(members, distances.tolist(), strict=True), key=lambda p: p[::-1])


def write_report(
    result: Grouping,
    folder: PathLike,
    per_group: int = 48,
    title: str = "Pattern groups",
) -> Path:
    """Writes `folder/report.html` and its thumbnails; see `GroupingResult.to_html`.

    Args:
        result: a `GroupingResult`.
        folder: the output folder (created).
        per_group: members shown per group, the most typical first.
        title: the page's title.

    Returns:
        The page's path.

    Raises:
        ValueError: `per_group` is not a positive int, or `folder` is a file.
    """
    per_group = check_int(per_group, "per_group")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f'"folder" must be a folder (the page and its thumbnails go in it). '
            f"Received: folder={str(folder)!r}, a file"
        )
    (folder / THUMBS).mkdir(parents=True, exist_ok=True)
    thumbs = _Thumbnails(folder)
    groups = result.groups
    sections = [
        _group_section(result, group, members, per_group, thumbs)
        for group, members in groups.items()
    ]
    body = [
        f"<header><h1>{_esc(title)}</h1><p>{len(result)} inputs in "
        f"{len(groups)} groups. Members are ordered by cosine distance to "
        "their group's centre, the most typical first; the red box marks the "
        "patch that was compared.</p></header><main>",
        _summary(result, groups),
        *sections,
        _failures(result),
        "</main>",
    ]
    page = folder / PAGE
    write_text_atomic(page, _document(title, "\n".join(body)))
    logger.info(
        "wrote %s: %d thumbnails written, %d reused",
        page,
        thumbs.written,
        thumbs.reused,
    )
    return page


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _document(title, body):
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def _summary(result, groups):
    sizes = [len(members) for members in groups.values()]
    counts = [
        ("Inputs", len(result)),
        ("Grouped", sum(sizes)),
        ("Failed", len(result.failures)),
        ("Groups", len(sizes)),
        ("Largest group", max(sizes, default=0)),
        ("Smallest group", min(sizes, default=0)),
        ("Enhanced patches", sum(item.enhanced for item in result.items)),
    ]
    timings = [(stage, f"{seconds:.2f} s") for stage, seconds in result.timings.items()]
    if timings:
        timings.append(("total", f"{sum(result.timings.values()):.2f} s"))
    links = "".join(
        f'<a href="#group-{g}">{g} <span class="meta">({n})</span></a>'
        for g, n in zip(groups, sizes, strict=True)
    )
    return (
        '<section id="summary"><h2>Summary</h2><div class="summary">'
        f"{_table(counts, 'Count')}{_table(timings, 'Seconds') if timings else ''}"
        f"</div>{f'<nav>Groups: {links}</nav>' if links else ''}</section>"
    )


def _table(rows, heading):
    cells = "".join(
        f'<tr><th>{_esc(name)}</th><td class="num">{_esc(value)}</td></tr>'
        for name, value in rows
    )
    return f'<table><tr><th></th><th class="num">{heading}</th></tr>{cells}</table>'


def _group_section(result, group, members, per_group, thumbs):
    ranked = _ranked(result, group, members)
    spread = float(np.mean([distance for _, distance in ranked]))
    tiles = [
        _tile(result.items[index], distance, thumbs)
        for index, distance in ranked[:per_group]
    ]
    hidden = len(ranked) - len(tiles)
    more = f'<p class="more">and {hidden} more</p>' if hidden else ""
    return (
        f'<section id="group-{group}" class="group" data-group="{group}">'
        f'<h2>Group {group}<span class="size">{len(ranked)} '
        f"member{'s' if len(ranked) != 1 else ''} &middot; mean distance "
        f"{spread:.3f}</span></h2>"
        f'<div class="grid">{"".join(tiles)}</div>{more}</section>'
    )


def _tile(item, distance, thumbs):
    photo, patch = thumbs.paths(item)
    # The first screen loads at once; a large catalogue's other tiles as
    # they scroll into view.
    lazy = ' loading="lazy"' if thumbs.shown > EAGER_TILES else ""
    name = Path(item.source).name or item.source
    meta = [_esc(item.class_name)] if item.class_name else []
    if item.enhanced:
        meta.append('<span class="tag">enhanced</span>')
    meta.append(f"d {distance:.3f}")
    pictures = f'<img class="photo" src="{_src(photo)}" alt="{_esc(name)}"{lazy}>'
    if patch is not None:
        pictures += f'<img class="patch" src="{_src(patch)}" alt="patch"{lazy}>'
    return (
        f'<figure data-index="{item.index}" data-distance="{distance:.6f}">'
        f'<div class="pics">{pictures}</div><figcaption>'
        f'<span class="name" title="{_esc(item.source)}">{_esc(name)}</span>'
        f'<span class="meta">{" &middot; ".join(meta)}</span></figcaption></figure>'
    )


def _failures(result):
    failures = result.failures
    if not failures:
        return '<section id="failures"><h2>Failures</h2><p>None.</p></section>'
    rows = "".join(
        f'<tr><td><span class="name" title="{_esc(source)}">'
        f"{_esc(Path(source).name or source)}</span></td>"
        f'<td class="reason">{_esc(reason)}</td></tr>'
        for source, reason in failures
    )
    return (
        f'<section id="failures"><h2>Failures<span class="size">{len(failures)} '
        f"input{'s' if len(failures) != 1 else ''} not grouped</span></h2>"
        f"<table><tr><th>File</th><th>Reason</th></tr>{rows}</table></section>"
    )


def _src(relative):
    return _esc(quote(relative))


class _Thumbnails:
    """Writes the tiles' pictures into `folder/thumbs/`, each once.

    A later report into the same folder reuses them. A name holds a digest
    of what the picture shows (source, box, the file's size and time, or an
    array input's embedding), so a new grouping never shows a stale one.
    """

    def __init__(self, folder):
        self.folder, self.written, self.reused, self.shown = folder, 0, 0, 0

    def paths(self, item):
        """The item's photo and patch (`None` for patch inputs), relative paths."""
        self.shown += 1
        stem = f"{THUMBS}/{item.index}-{_digest(item)}"
        # Patch inputs are shown whole: their patch is the picture itself.
        names = [f"{stem}.jpg"] + ([f"{stem}-patch.jpg"] if item.class_name else [])
        pair = names[0], names[1] if len(names) > 1 else None
        if all((self.folder / name).is_file() for name in names):
            self.reused += len(names)
            return pair
        patch, photo = member_tiles(item)
        save_image_atomic(
            self.folder / names[0], np.ascontiguousarray(photo), quality=88
        )
        if len(names) > 1:
            small = Image.fromarray(np.ascontiguousarray(patch))
            if max(small.size) > PATCH_SIDE:
                small = small.resize((PATCH_SIDE, PATCH_SIDE), Image.BILINEAR)
            save_image_atomic(self.folder / names[1], np.asarray(small), quality=88)
        self.written += len(names)
        return pair


def _digest(item):
    parts = [item.source, repr(item.box), item.class_name or ""]
    if item.input is None and not item.source.startswith("#"):
        try:
            stat = os.stat(item.source)
            parts += [str(stat.st_size), str(stat.st_mtime_ns)]
        except OSError:  # moved since grouped: the blank tile is shown
            pass
    elif item.embedding is not None:
        parts.append(np.asarray(item.embedding, np.float32).tobytes().hex())
    return hashlib.sha1("\0".join(parts).encode("utf-8")).hexdigest()[:10]
