"""Readers of the DeepFashion text lists and of the flat-layout manifest.

Every In-shop list starts with a line holding the row count, then a header
line, then whitespace-separated rows. These readers check both lines and name
the file and line of any disagreement, so a truncated download or a file
edited by hand fails loudly instead of yielding a partial data set.
"""

import csv
from collections.abc import Sequence
from pathlib import Path

from keras_patterns.utils.typing import PathLike


def read_list_file(
    path: PathLike, header: Sequence[str], min_columns: int | None = None
) -> list[list[str]]:
    """Reads a DeepFashion list file: a count line, a header line, then rows.

    Args:
        path: the text file.
        header: the expected header tokens.
        min_columns: rows need at least this many fields (default: as many
            as the header).

    Returns:
        A list of rows, each a list of strings.

    Raises:
        ValueError: the count line is not an integer or disagrees with the
            number of rows, the header differs, or a row is too short; the
            message names the file and the line.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 2:
        raise ValueError(
            f"{path}: expected a count line and a header line, found {len(lines)} "
            "line(s)."
        )
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise ValueError(
            f"{path}:1: expected the number of rows, found {lines[0]!r}"
        ) from None
    tokens = lines[1].split()
    if tokens != list(header):
        raise ValueError(
            f"{path}:2: expected the header {' '.join(header)!r}, found {lines[1]!r}"
        )
    rows = [line.split() for line in lines[2:]]
    if count != len(rows):
        raise ValueError(
            f"{path}:1: the count line says {count} rows but the file holds "
            f"{len(rows)}."
        )
    need = len(header) if min_columns is None else min_columns
    for number, row in enumerate(rows, start=3):
        if len(row) < need:
            raise ValueError(
                f"{path}:{number}: expected at least {need} fields, found {row!r}"
            )
    return rows


def read_item_list(path: PathLike) -> list[str]:
    """Reads ``list_item_inshop.txt``: a count line, then one item id a line.

    Args:
        path: the text file.

    Returns:
        The item ids, in file order.

    Raises:
        ValueError: the count line is missing, not an integer or disagrees
            with the number of items.
    """
    path = Path(path)
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    try:
        count = int(lines[0])
    except (IndexError, ValueError):
        raise ValueError(f"{path}:1: expected the number of items.") from None
    items = lines[1:]
    if count != len(items):
        raise ValueError(
            f"{path}:1: the count line says {count} items but the file holds "
            f"{len(items)}."
        )
    return items


def read_manifest(path: PathLike) -> dict[str, dict[str, str]]:
    """Reads a manifest written by `prepare_inshop` into `{name: row}`.

    Args:
        path: the ``manifest.csv`` file.

    Returns:
        A dict from each flat name (``NNNN_LLV``) to its row, a dict from
        column name to value (empty string when unknown).
    """
    with open(path, newline="", encoding="utf-8") as f:
        return {row["name"]: row for row in csv.DictReader(f)}
