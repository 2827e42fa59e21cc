"""ReadStage: the inputs decoded a chunk at a time, the next on threads."""

import dataclasses
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from keras_patterns.grouping.inputs import Images
from keras_patterns.grouping.inputs import iter_inputs
from keras_patterns.grouping.inputs import read_input
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.utils.validation import check_int

# Threads decoding the next chunk's files while the current one is computed.
READ_WORKERS = 4


@dataclasses.dataclass
class Chunk:
    """A chunk of inputs on its way through the stages.

    Attributes:
        items: a `GroupedItem` per input, its `error` set where it failed.
        images: the decoded uint8 images, `None` where reading failed.
    """

    items: list[GroupedItem]
    images: list[np.ndarray | None]

    @property
    def alive(self) -> list[int]:
        """Positions of the inputs that have not failed."""
        return [i for i, item in enumerate(self.items) if item.ok]


class ReadStage:
    """Reads inputs lazily, a chunk at a time, decoding the next on threads.

    A folder is walked and a generator consumed as the chunks go, so memory
    holds a chunk, not the catalogue. Arrays of a list or batch are kept as
    each item's `input` (they are the caller's memory, and the contact
    sheets show them); arrays from an iterator are not, so streaming them
    holds no image.

    Args:
        batch_size: inputs per chunk.
        workers: threads decoding files.
    """

    def __init__(self, batch_size: int = 32, workers: int = READ_WORKERS) -> None:
        self.batch_size = check_int(batch_size, "batch_size")
        self.workers = check_int(workers, "workers")

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size}

    def __call__(self, images: Images, hold: bool) -> Iterator[Chunk]:
        """Yields the inputs of `images` as `Chunk`s, in order.

        Args:
            images: what `keras_patterns.grouping.inputs.iter_inputs` takes.
            hold: keep array inputs as the items' `input`.
        """
        entries = iter_inputs(images)
        with ThreadPoolExecutor(self.workers) as pool:

            def read_ahead():
                chunk = list(itertools.islice(entries, self.batch_size))
                return chunk, [pool.submit(read_input, entry) for _, entry in chunk]

            start = 0
            chunk, reads = read_ahead()
            while chunk:
                decoded = [read.result() for read in reads]
                following, reads = read_ahead()
                yield self._chunk(chunk, decoded, start, hold)
                start += len(chunk)
                chunk = following

    @staticmethod
    def _chunk(entries, decoded, start, hold):
        items = []
        for offset, ((source, entry), image) in enumerate(
            zip(entries, decoded, strict=True)
        ):
            item = GroupedItem(index=start + offset, source=source)
            if isinstance(image, str):
                item.error, decoded[offset] = image, None
            elif hold and not isinstance(entry, Path):
                item.input = entry
            items.append(item)
        return Chunk(items, decoded)
