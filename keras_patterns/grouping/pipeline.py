"""GroupingPipeline: the stages chained, a chunk of inputs at a time.

`run` takes every input through the stages and stores its embedding once;
`chunks` reads the inputs lazily and takes each chunk through
`through_stages`: segment (when there is a segmenter), cut, enhance, embed.
Without a segmenter, each input is its own patch.
"""

import contextlib
import dataclasses
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from keras_patterns.grouping.inputs import Garments
from keras_patterns.grouping.inputs import Images
from keras_patterns.grouping.inputs import count_inputs
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.grouping.items import thumbnail
from keras_patterns.grouping.stages import Chunk
from keras_patterns.grouping.stages import CutStage
from keras_patterns.grouping.stages import EmbedStage
from keras_patterns.grouping.stages import EnhanceStage
from keras_patterns.grouping.stages import ReadStage
from keras_patterns.grouping.stages import SegmentStage
from keras_patterns.modeling.labels import garment_class
from keras_patterns.utils.io import RowStore
from keras_patterns.utils.progress import progress_bar
from keras_patterns.utils.typing import PathLike

# A context manager that adds the time spent inside it to a stage's total.
Timer = Callable[[str], contextlib.AbstractContextManager]


def _garment(garments, item, label_names):
    """The class of the garment named for `item` (by position in a sequence,
    or by source, its path then its file name, in a mapping), or `None`."""
    if garments is None:
        return None
    if isinstance(garments, Mapping):
        name = garments.get(item.source, garments.get(Path(item.source).name))
    elif item.index >= len(garments):
        raise ValueError(
            '"garments" must hold one class name (or None) per input: input '
            f"{item.index} ({item.source}) has none; {len(garments)} garments"
        )
    else:
        name = garments[item.index]
    return None if name is None else garment_class(name, label_names)


def _check_garment_count(garments, count):
    if isinstance(garments, Mapping) or garments is None or count is None:
        return
    if len(garments) != count:
        raise ValueError(
            '"garments" must hold one class name (or None) per input: '
            f"{count} inputs, {len(garments)} garments"
        )


class StageSetting:
    """An attribute of the grouper that is a setting of one stage (or of
    several that share it): reading gives the first stage's, writing sets
    every one."""

    def __init__(self, *stages: str) -> None:
        self.stages = stages

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, grouper: Any, owner: type) -> Any:
        if grouper is None:
            return self
        return getattr(getattr(grouper.pipeline, self.stages[0]), self.name)

    def __set__(self, grouper: Any, value: Any) -> None:
        for stage in self.stages:
            setattr(getattr(grouper.pipeline, stage), self.name, value)


@dataclasses.dataclass
class GroupingPipeline:
    """The grouper's stages, in the order inputs go through them.

    Attributes:
        read: decodes the inputs, a chunk at a time.
        segment: labels garment pixels (skipped without a segmenter).
        cut: cuts patches inside the product's garment.
        enhance: squares, upscales the small ones, resizes.
        embed: one embedding per input.
    """

    read: ReadStage
    segment: SegmentStage
    cut: CutStage
    enhance: EnhanceStage
    embed: EmbedStage

    def get_config(self) -> dict[str, Any]:
        """Every stage's settings, in one flat dict (as `config.json` holds them)."""
        config = {}
        for field in dataclasses.fields(self):
            config.update(getattr(self, field.name).get_config())
        return config

    def run(
        self,
        images: Images,
        garments: Garments | None,
        timed: Timer,
        *,
        assign: Callable[[np.ndarray], np.ndarray] | None = None,
        embeddings_path: PathLike | None = None,
        keep: bool = False,
        progress: bool = True,
    ) -> tuple[list[GroupedItem], np.ndarray]:
        """Every input through the stages, its embedding stored once.

        Each chunk's embeddings go to one store (memory, or the `.npy` file
        `embeddings_path`, written as they come) and, with `assign`, to
        their groups as they come; at the end every grouped item's
        `embedding` is a row of that one array (in memory, or
        memory-mapped from the file).

        Args:
            images: what `keras_patterns.grouping.inputs.iter_inputs` takes.
            garments: the garment named for each input, or `None`.
            timed: `timed(stage)` times what runs inside it.
            assign: the fitted clusterer's `predict`, or `None`.
            embeddings_path: a `.npy` file for the embeddings, or `None`.
            keep: keep each item's patches and thumbnail on it.
            progress: show a progress bar.

        Returns:
            `(items, embeddings)`: a `GroupedItem` per input, and the
            `(n_ok, D)` embeddings of the grouped ones, in input order.
        """
        items, store = [], RowStore(embeddings_path)
        try:
            for chunk, vectors in self.chunks(
                images, garments, timed, keep=keep, progress=progress
            ):
                ok = [item for item in chunk.items if item.ok]
                if ok:
                    if assign is not None:
                        with timed("cluster"):
                            groups = assign(vectors)
                        for item, group in zip(ok, groups, strict=True):
                            item.group = int(group)
                    store.append(vectors)
                items += chunk.items
        except BaseException:
            store.abort()
            raise
        embeddings = store.finish()
        for item, row in zip(
            (item for item in items if item.ok), embeddings, strict=True
        ):
            item.embedding = row
        return items, embeddings

    def embed_items(
        self, items: Sequence[GroupedItem], embeddings_path: PathLike | None = None
    ) -> np.ndarray:
        """Embeds the kept patches of the items that did not fail.

        Sets each one's `embedding` to a row of the result, which is
        written to `embeddings_path` too when given.

        Returns:
            `(n_ok, D)` embeddings, `(0, 0)` when every item failed.
        """
        ok = [item for item in items if item.ok]
        if not ok:
            return np.zeros((0, 0))
        store = RowStore(embeddings_path)
        store.append(self.embed([item.patches for item in ok]))
        embeddings = store.finish()
        for item, row in zip(ok, embeddings, strict=True):
            item.embedding = row
        return embeddings

    def chunks(
        self,
        images: Images,
        garments: Garments | None,
        timed: Timer,
        *,
        embed: bool = True,
        keep: bool = False,
        progress: bool = True,
    ) -> Iterator[tuple[Chunk, np.ndarray | None]]:
        """Each chunk of inputs after the stages, with its embeddings.

        Args:
            images: what `keras_patterns.grouping.inputs.iter_inputs` takes.
            garments: the garment named for each input, or `None`.
            timed: `timed(stage)` times what runs inside it.
            embed: run the embedder (not when the grouper trains one first).
            keep: keep each item's patches and thumbnail on it.
            progress: show a progress bar.

        Yields:
            `(chunk, embeddings)`: the chunk's items, and the `(n, D)`
            embeddings of those that did not fail, in order (`None`
            without `embed` or when all failed).
        """
        total = count_inputs(images)
        _check_garment_count(garments, total)
        # Arrays of a list or batch are referenced by the result (for the
        # contact sheets; they are the caller's memory anyway).
        chunks = self.read(images, hold=total is not None)
        count = 0
        with progress_bar(total, "image", progress) as bar:
            while True:
                with timed("read"):
                    chunk = next(chunks, None)
                if chunk is None:
                    break
                yield chunk, self.through_stages(chunk, garments, timed, embed, keep)
                count += len(chunk.items)
                bar.update(len(chunk.items))
        _check_garment_count(garments, count)

    def through_stages(
        self,
        chunk: Chunk,
        garments: Garments | None,
        timed: Timer,
        embed: bool = True,
        keep: bool = False,
    ) -> np.ndarray | None:
        """Segments, cuts, enhances and embeds one chunk; its embeddings.

        Items that fail get their `error`; the others their `box`,
        `class_name` and `enhanced` (and, with `keep`, their `patches` and
        `thumbnail`).
        """
        alive, items, images = chunk.alive, chunk.items, chunk.images
        segmented = self.segment.segmenter is not None
        with timed("segment"):
            names, maps = self._segment(items, images, alive, garments, segmented)
        cuts = {}
        with timed("cut"):
            scored = self._probes(names, maps) if segmented else {}
            for n, (i, name, found) in enumerate(zip(alive, names, maps, strict=True)):
                cut = self._cut(items[i], images[i], name, found, scored.get(n))
                if cut:
                    cuts[i] = cut
        units = {}
        if segmented:
            units = {
                i: self.segment.unit(factor)
                for i, (_, factor, _) in zip(alive, maps, strict=True)
            }
        with timed("enhance"):
            patches = self.enhance(cuts, items, units)
        vectors = None
        if embed:
            with timed("embed"):
                vectors = self.embed(list(patches.values()))
        if keep:
            for i, finished in patches.items():
                items[i].patches = finished
                items[i].thumbnail = thumbnail(
                    images[i], items[i].box if segmented else None
                )
        return vectors

    def _segment(self, items, images, alive, garments, segmented):
        """The garment named for each live item, and its segmentation."""
        if not segmented:
            return [None] * len(alive), [None] * len(alive)
        names = [_garment(garments, items[i], self.segment.label_names) for i in alive]
        return names, self.segment([images[i] for i in alive], names)

    def _probes(self, names, maps):
        """The garment probe's candidates and their embeddings, for the photos
        it cuts, by position in `maps`: one embedding call for the chunk
        rather than one per photo."""
        probed = [n for n, name in enumerate(names) if self.cut.uses_probe(name)]
        if not probed:
            return {}
        cuts = [
            (working, labels, self.segment.cut_factor(factor))
            for working, factor, labels in (maps[n] for n in probed)
        ]
        return dict(zip(probed, self.cut.probes(cuts, self.embed.vectors), strict=True))

    def _cut(self, item: GroupedItem, photo, name, found, scored=None):
        """An item's patches: cut inside its garment, or the input itself."""
        if found is None:  # no segmenter: the input is its own patch
            item.box = (0, 0, *photo.shape[:2])
            item.boxes = [item.box]
            return [photo]
        working, factor, labels = found
        return self.cut(
            item,
            photo,
            working,
            labels,
            name,
            factor,
            embed=self.embed.vectors,
            scored=scored,
            unit=self.segment.unit(factor),
        )
