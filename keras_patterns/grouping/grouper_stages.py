"""The stages a `PatternGrouper` runs each chunk of inputs through.

Reading (a thread pool, one chunk ahead), segmenting on a working copy,
cutting patches, enhancing the small ones and embedding every view, a chunk
at a time; `PatternGrouper` adds fitting, grouping, search and persistence
on top. Kept apart so that each file reads in one sitting.
"""

import contextlib
import inspect
import itertools
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from keras_patterns.embedding.training import train_embedder_on_patches
from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.grouping.inputs import count_inputs
from keras_patterns.grouping.inputs import iter_inputs
from keras_patterns.grouping.inputs import read_input
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.grouping.items import thumbnail
from keras_patterns.patches.extract import extract_patches
from keras_patterns.segmentation.garment_prior import garment_label_maps
from keras_patterns.utils.images import centre_square
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.io import NpyWriter
from keras_patterns.utils.progress import progress_bar

# A patch and its mirror images (as indexes): as is, left-right, up-down, both.
FLIPS = tuple(
    (slice(None, None, r), slice(None, None, c)) for r in (1, -1) for c in (1, -1)
)
# How `_finish` batches small patches through the enhancer.
UPSCALE_BATCHING = {"pad_to": 8, "batch_size": 32}
# Patch views per forward pass of the embedder.
EMBED_BATCH = 128
# Threads decoding the next chunk's files while the current one is computed.
READ_WORKERS = 4
# Photos are segmented and patches placed at most this many times the
# segmenter's input size (`PatternGrouper._working_photo`).
CUT_SCALE = 2
STAGES = ("read", "segment", "cut", "enhance", "train", "embed", "cluster")


def _garment(garments, item):
    """The garment named for `item`, checking that `garments` reaches it."""
    if item.index >= len(garments):
        raise ValueError(
            '"garments" must hold one class name (or None) per input: input '
            f"{item.index} ({item.source}) has none; {len(garments)} garments"
        )
    return garments[item.index]


def _view_count(flip_views):
    """Views per patch: `True` is all four flips, `False` the patch alone."""
    if isinstance(flip_views, bool):
        return 4 if flip_views else 1
    return flip_views


class GrouperStages:
    """The per-chunk stages of `PatternGrouper` (a base class; not public).

    Reads the grouper's settings (`segmenter`, `enhancer`, `embedder`,
    `classes`, `batch_size`, ...) from `self`; `PatternGrouper.__init__`
    sets and checks them.
    """

    def _working_photo(self, photo):
        """`photo` scaled down for segmenting and cutting, and the factor back.

        The segmenter sees `segment_size`, so a label map finer than
        `CUT_SCALE` times that holds no more information; a large photo is
        segmented and its patches placed on a copy of at most that size
        (an exact O(H W) search on 0.2 instead of 2 megapixels), and the
        patches are then cut from the full photo.
        """
        if self.segment_size is None:
            return photo, 1.0
        height, width = photo.shape[:2]
        scale = min(
            1.0,
            CUT_SCALE * self.segment_size[0] / height,
            CUT_SCALE * self.segment_size[1] / width,
        )
        if scale == 1.0:
            return photo, 1.0
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        small = resize_image(photo, size, Image.BILINEAR, reducing_gap=2.0)
        return small, height / size[0]

    def _cut(self, item, photo, working, labels, garment, factor):
        """The patches of `photo`, placed on `working` (`factor` times smaller)."""
        classes = self.classes if garment is None else (garment,)
        margin = self.margin
        if factor != 1.0 and isinstance(margin, int) and margin:
            margin = max(1, round(margin / factor))
        options = {
            "min_size": max(1, math.ceil(self.min_patch / factor)),
            "margin": margin,
            "label_names": self.label_names,
            "shape": self.patch_shape,
        }
        if len(classes) > 1:  # the garment with the largest patch, found first
            largest = extract_patches(
                working, labels, classes, max_patches=1, **options
            )
            classes = tuple(patch.class_name for patch in largest)
        count = self.patches_per_item
        patches = (
            extract_patches(
                working, labels, classes, max_patches=count, per_region=count, **options
            )
            if classes
            else []
        )
        if not patches:
            item.error = (
                f"no garment patch of at least {self.min_patch} pixels "
                f"(classes {', '.join(self.classes if garment is None else classes)})"
            )
            return []
        if factor == 1.0:
            boxes = [patch.box for patch in patches]
        else:
            limits = photo.shape[:2] * 2  # (height, width, height, width)
            boxes = [
                tuple(
                    min(round(v * factor), limit)
                    for v, limit in zip(patch.box, limits, strict=True)
                )
                for patch in patches
            ]
        item.box, item.class_name = boxes[0], patches[0].class_name
        return [photo[top:bottom, left:right] for top, left, bottom, right in boxes]

    def _finish(self, cuts, items):
        """Square crops; small ones enhanced together; all resized to `patch_size`.

        `cuts` maps an item's position to its raw patches; returns the same
        mapping to the finished `(patch_size, patch_size, 3)` patches.
        """
        squares = {i: [centre_square(p) for p in cut] for i, cut in cuts.items()}
        if self.enhancer is not None:
            small = [
                (i, n)
                for i, chunk in squares.items()
                for n, square in enumerate(chunk)
                if square.shape[0] < self.enhance_below
            ]
            if small:
                enhanced = upscale_patches(
                    self.enhancer, [squares[i][n] for i, n in small], **UPSCALE_BATCHING
                )
                for (i, n), square in zip(small, enhanced, strict=True):
                    squares[i][n] = square
                    items[i].enhanced = True
        side = (self.patch_size, self.patch_size)
        return {
            i: [
                square if square.shape[:2] == side else resize_image(square, side)
                for square in chunk
            ]
            for i, chunk in squares.items()
        }

    @contextlib.contextmanager
    def _timed(self, stage):
        began = time.perf_counter()
        yield
        elapsed = time.perf_counter() - began
        self.timings_[stage] = self.timings_.get(stage, 0.0) + elapsed

    def _chunks(self, images, garments, embed=True, keep=None):
        """Yields each chunk of inputs through the stages, as `GroupedItem`s.

        Inputs are read lazily (`iter_inputs`): a folder is walked and a
        generator consumed as the chunks go, so memory holds a chunk, not
        the catalogue. The next chunk's files are decoded on a thread pool
        while the current chunk runs through the networks. `keep` (default
        `keep_patches`) keeps each item's patches and thumbnail.
        """
        total = count_inputs(images)
        if garments is not None and total is not None and len(garments) != total:
            raise ValueError(
                '"garments" must hold one class name (or None) per input: '
                f"{total} inputs, {len(garments)} garments"
            )
        keep = self.keep_patches if keep is None else keep
        # Arrays of a list or batch are referenced by the result (for the
        # contact sheets; they are the caller's memory anyway); arrays from
        # an iterator are not, so streaming them holds no image.
        hold = total is not None
        entries = iter_inputs(images)
        self.timings_ = dict.fromkeys(STAGES, 0.0)
        start = 0
        with (
            progress_bar(total, "image", self.progress) as bar,
            ThreadPoolExecutor(READ_WORKERS) as pool,
        ):

            def read_ahead():
                chunk = list(itertools.islice(entries, self.batch_size))
                return chunk, [pool.submit(read_input, entry) for _, entry in chunk]

            chunk, reads = read_ahead()
            while chunk:
                with self._timed("read"):
                    decoded = [read.result() for read in reads]
                following, reads = read_ahead()
                yield self._process_chunk(
                    chunk, decoded, start, garments, embed, keep, hold
                )
                start += len(chunk)
                bar.update(len(chunk))
                chunk = following
        if garments is not None and len(garments) != start:
            raise ValueError(
                '"garments" must hold one class name (or None) per input: '
                f"{start} inputs, {len(garments)} garments"
            )

    def _process(self, images, garments, embed=True, keep=None):
        """Every input through the stages; a `GroupedItem` each, in order."""
        return [
            item
            for chunk in self._chunks(images, garments, embed, keep)
            for item in chunk
        ]

    def _stream(self, images, garments, embeddings_path=None, assign=False):
        """Every input through the stages, its embedding kept once.

        Each chunk's embeddings go to one growing store (a list of chunk
        arrays, or the `.npy` file `embeddings_path`, written as they come);
        at the end every grouped item's `embedding` is a row of that one
        array (in memory, or memory-mapped from the file). With `assign`,
        each chunk is assigned to the fitted groups as it comes.

        Returns:
            `(items, embeddings)`: a `GroupedItem` per input, and the
            `(n_ok, D)` embeddings of the grouped ones, in input order.
        """
        items, stored = [], []
        writer = None if embeddings_path is None else NpyWriter(embeddings_path)
        try:
            for chunk in self._chunks(images, garments):
                ok = [item for item in chunk if item.ok]
                if ok:
                    vectors = np.stack([item.embedding for item in ok])
                    if assign:
                        with self._timed("cluster"):
                            groups = self.clusterer.predict(vectors)
                        for item, group in zip(ok, groups, strict=True):
                            item.group = int(group)
                    if writer is None:
                        stored.append(vectors)
                    else:
                        writer.append(vectors)
                    for item in ok:
                        item.embedding = None
                items += chunk
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        if writer is not None:
            writer.close()
            embeddings = np.load(writer.path, mmap_mode="r")
        else:
            embeddings = np.concatenate(stored) if stored else np.zeros((0, 0))
        for item, row in zip(
            (item for item in items if item.ok), embeddings, strict=True
        ):
            item.embedding = row
        return items, embeddings

    def _process_chunk(self, chunk, images, start, garments, embed, keep, hold):
        items = []
        for offset, (source, entry) in enumerate(chunk):
            item = GroupedItem(index=start + offset, source=source)
            if isinstance(images[offset], str):
                item.error, images[offset] = images[offset], None
            elif hold and not isinstance(entry, Path):
                item.input = entry
            items.append(item)
        alive = [i for i, image in enumerate(images) if image is not None]
        with self._timed("segment"):
            working = (
                {i: self._working_photo(images[i]) for i in alive}
                if self.segmenter
                else {}
            )
            maps = (
                garment_label_maps(
                    self.segmenter,
                    [working[i][0] for i in alive],
                    [
                        None if garments is None else _garment(garments, items[i])
                        for i in alive
                    ],
                    self.garment_prior,
                    self.segment_size,
                    self.batch_size,
                    self.classes,
                    self.label_names,
                )
                if self.segmenter
                else None
            )
        cuts = {}
        with self._timed("cut"):
            for position, i in enumerate(alive):
                item, image = items[i], images[i]
                if self.segmenter is not None:
                    garment = None if garments is None else _garment(garments, item)
                    small, factor = working[i]
                    cut = self._cut(item, image, small, maps[position], garment, factor)
                else:
                    cut, item.box = [image], (0, 0, *image.shape[:2])
                if cut:
                    cuts[i] = cut
        with self._timed("enhance"):
            patches = self._finish(cuts, items)
        if embed:
            self._embed([items[i] for i in patches], list(patches.values()))
        if keep:
            for i, finished in patches.items():
                items[i].patches = finished
                items[i].thumbnail = thumbnail(
                    images[i], items[i].box if self.segmenter else None
                )
        return items

    def _embed(self, items, patches):
        """Fills `item.embedding`: the mean of its patches' embeddings.

        All views of the chunk go through the embedder in one call (its
        compiled forward pass, in batches of `EMBED_BATCH`). With
        `flip_views`, each patch counts as its flips. The mean is
        rescaled to the views' mean norm, so a unit-norm embedder still
        gives unit vectors and a single view is left as it is.
        """
        flips = FLIPS[: _view_count(self.flip_views)]
        views = [patch[flip] for chunk in patches for patch in chunk for flip in flips]
        if not views:
            return
        with self._timed("embed"):
            embed = self.embedder.embed
            if "batch_size" in inspect.signature(embed).parameters:
                vectors = embed(np.stack(views), batch_size=EMBED_BATCH)
            else:
                vectors = embed(np.stack(views))
        start = 0
        for item, chunk in zip(items, patches, strict=True):
            count = len(chunk) * len(flips)
            own = vectors[start : start + count]
            mean = own.mean(axis=0)
            norm = max(np.linalg.norm(mean), 1e-12)
            item.embedding = mean * np.linalg.norm(own, axis=1).mean() / norm
            start += count

    def _train_embedder(self, items):
        with self._timed("train"):
            self.embedder = train_embedder_on_patches(
                np.stack([item.patch for item in items]),
                steps=self.embedder_steps,
                verbose=2 if self.progress else 0,
            )
        self._embed(items, [item.patches for item in items])
        if not self.keep_patches:
            for item in items:
                item.patches, item.thumbnail = [], None
