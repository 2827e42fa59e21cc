"""Embedding a catalogue on a Ray cluster, one grouper per worker.

`embed` adds an `embedding` column (with `group` and `error`) to a Ray
Dataset of images or file paths: each actor of a pool loads the grouper
once, then embeds batch after batch. `embeddings_to_npy` streams the
embeddings to a `.npy` file for `keras_patterns.clustering.KMeans(
method="minibatch")` or faiss. Ray is imported only when they are called
(`pip install "keras-patterns[ray]"`).
"""

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np

from keras_patterns.grouping.catalogue import CATALOGUE
from keras_patterns.grouping.pattern_grouper import PatternGrouper
from keras_patterns.utils.io import NpyWriter
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.presets import resolve_preset
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_int

if TYPE_CHECKING:
    import ray.data

INSTALL = 'pip install "keras-patterns[ray]"'
# Rows per batch streamed by `embeddings_to_npy`.
BATCH_ROWS = 4096


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 (Ray Data is the extra's other half)
    except ImportError as error:
        raise ImportError(
            f"keras_patterns.integrations.ray needs Ray Data: {INSTALL}"
        ) from error
    return ray


def _grouper_files(grouper_dir):
    """`{relative path: bytes}` of the grouper's folder, to ship to the workers.

    Shipping the bytes (a few MB to a few hundred) rather than the path
    means the workers need no shared filesystem, nor the driver's disk
    when it reaches the cluster through `ray://`. The `similar()` catalogue
    (its embeddings: 512 MB for a million products) stays behind; workers
    embed and assign, they do not search.
    """
    try:
        folder = resolve_preset(grouper_dir)
    except (ValueError, FileNotFoundError) as error:
        raise ValueError(
            '"grouper_dir" must be a folder written by PatternGrouper.save or an '
            f"embedder preset. Received: grouper_dir={str(grouper_dir)!r} ({error})"
        ) from None
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.startswith(CATALOGUE)
    }


def _actor_pool(ray, concurrency):
    """`ActorPoolStrategy` of `concurrency` actors, or `(min, max)` of them."""
    if isinstance(concurrency, tuple) and len(concurrency) == 2:
        low = check_int(concurrency[0], "concurrency[0]")
        high = check_int(concurrency[1], "concurrency[1]", minimum=low)
        return ray.data.ActorPoolStrategy(min_size=low, max_size=high)
    if isinstance(concurrency, tuple):
        raise ValueError(
            '"concurrency" must be an int >= 1 or a (min, max) pair of them. '
            f"Received: concurrency={concurrency!r}"
        )
    return ray.data.ActorPoolStrategy(size=check_int(concurrency, "concurrency"))


def _garment(value):
    """A catalogue's garment cell as `PatternGrouper` takes it: a name or None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value) or None


class _Embedder:
    """The actor of `embed`: loads the grouper once, then embeds batches."""

    def __init__(self, files, column, is_path, garment_column):
        if not isinstance(files, dict):  # an ObjectRef from the driver's ray.put
            files = _import_ray().get(files)
        with tempfile.TemporaryDirectory(prefix="keras_patterns_grouper_") as tmp:
            for name, data in files.items():
                path = Path(tmp, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            self.grouper = PatternGrouper.from_preset(Path(tmp), progress=False)
        self.column = column
        self.is_path = is_path
        self.garment_column = garment_column
        self.fitted = self.grouper.is_fitted
        self.dimension = None

    def _dimension(self):
        """D, for a batch in which nothing could be embedded."""
        if self.dimension is None:
            size = self.grouper.patch_size
            blank = np.zeros((1, size, size, 3), np.uint8)
            self.dimension = self.grouper.embedder.embed(blank).shape[-1]
        return self.dimension

    def __call__(self, batch):
        cells = batch[self.column]
        # A column of same-size images arrives stacked, (B, H, W, 3); one of
        # mixed sizes as an object array of (H, W, 3) arrays: both iterate.
        inputs = [str(cell) for cell in cells] if self.is_path else list(cells)
        items = []
        if inputs:
            garments = None
            if self.garment_column is not None:
                garments = [_garment(cell) for cell in batch[self.garment_column]]
            items = self.grouper.embed(inputs, garments).items
        found = [item.embedding for item in items if item.embedding is not None]
        self.dimension = len(found[0]) if found else self._dimension()
        embeddings = np.full((len(items), self.dimension), np.nan, np.float32)
        for row, item in enumerate(items):
            if item.embedding is not None:
                embeddings[row] = item.embedding
        output = dict(batch)
        output["embedding"] = embeddings
        if self.fitted:
            output["group"] = np.array([item.group for item in items], np.int64)
        output["error"] = np.array([item.error or "" for item in items], object)
        return output


def embed(
    dataset: "ray.data.Dataset",
    grouper_dir: PathLike,
    *,
    batch_size: int = 64,
    concurrency: int | tuple[int, int] = 1,
    num_cpus: float | None = None,
    image_column: str = "image",
    path_column: str = "path",
    garment_column: str | None = None,
) -> "ray.data.Dataset":
    """Embeds the images of a Ray Dataset with a grouper, on every worker.

    Each actor of a pool of `concurrency` loads the grouper once, then runs
    `PatternGrouper.embed` on batch after batch of rows: the same stages
    and the same embeddings as the grouper in this process. The folder's
    files are read here and shipped to the actors, so the workers need no
    shared filesystem; the rows' `path`s, though, must be absolute and
    readable where the rows are processed (`ray.data.read_images` reads
    cloud storage and gives an `image` column instead). The workers use
    this process's Keras backend. The result is lazy, like every Ray
    Dataset: it is computed when iterated or written.

    Args:
        dataset: a `ray.data.Dataset` whose rows hold an image (uint8
            `(H, W, 3)`, as `ray.data.read_images` gives) in `image_column`
            or a file path in `path_column`; with both, the image is used.
            Other columns pass through unchanged.
        grouper_dir: a folder written by `PatternGrouper.save` (fitted: rows
            get a `group` too) or an embedder preset, as
            `PatternGrouper.from_preset` takes (`"patterns_synthetic"`, a
            folder, an `hf://` handle: embeddings only).
        batch_size: rows per call of an actor.
        concurrency: actors in the pool, or `(min, max)` for a pool that
            Ray grows and shrinks with the load.
        num_cpus: CPUs each actor reserves (Ray's default when `None`).
        image_column: the column of images.
        path_column: the column of file paths, used without `image_column`.
        garment_column: optional column naming each photo's garment class
            (`"top"`, `"dress"`...; empty or `None` for none), as the
            grouper's `garments` argument.

    Returns:
        A `ray.data.Dataset` with the input columns and `embedding` (float32
        `(D,)` per row, NaN where the row failed), `group` (int, -1 where it
        failed; only when the grouper is fitted) and `error` (why the row
        failed, `""` when it did not).

    Example:

    .. code-block:: python

        import ray
        from keras_patterns.integrations.ray import embed

        ray.init()  # or ray.init(address="ray://head:10001")
        photos = ray.data.read_images("s3://shop/photos/", include_paths=True)
        rows = embed(photos, "grouper/", batch_size=32, concurrency=8)
        rows.select_columns(["path", "group", "error"]).write_parquet("groups/")
    """
    ray = _import_ray()
    batch_size = check_int(batch_size, "batch_size")
    compute = _actor_pool(ray, concurrency)
    columns = dataset.columns()
    if image_column not in columns and path_column not in columns:
        raise ValueError(
            f'"dataset" must have an image column ("{image_column}") or a path '
            f'column ("{path_column}"); set image_column= or path_column= to '
            f"name yours. Received: a dataset with columns {columns}"
        )
    if garment_column is not None and garment_column not in columns:
        raise ValueError(
            f'"garment_column" must be a column of the dataset ({columns}). '
            f"Received: garment_column={garment_column!r}"
        )
    taken = sorted({"embedding", "group", "error"} & set(columns))
    if taken:
        raise ValueError(
            f'"dataset" must not have the columns embed adds. Received: a dataset '
            f"with {taken} (drop or rename them first)"
        )
    is_path = image_column not in columns
    options = {} if num_cpus is None else {"num_cpus": num_cpus}
    return dataset.map_batches(
        _Embedder,
        fn_constructor_kwargs={
            "files": ray.put(_grouper_files(grouper_dir)),
            "column": path_column if is_path else image_column,
            "is_path": is_path,
            "garment_column": garment_column,
        },
        batch_size=batch_size,
        batch_format="numpy",
        compute=compute,
        runtime_env={"env_vars": {"KERAS_BACKEND": keras.backend.backend()}},
        **options,
    )


def embeddings_to_npy(
    dataset: "ray.data.Dataset",
    path: PathLike,
    *,
    id_column: str | None = None,
) -> Path:
    """Writes the embeddings of `embed`'s dataset to a `.npy` file.

    Streams the dataset batch by batch (memory stays bounded by a batch),
    leaving out the rows that failed, and writes the file atomically. The
    `(N, D)` float32 file opens with `np.load(path, mmap_mode="r")`, to
    feed `KMeans(method="minibatch").partial_fit` slice by slice, or faiss.
    Ray does not keep the rows in order unless asked (its `DataContext`'s
    `execution_options.preserve_order`): name an `id_column` to know which
    row each embedding is.

    Args:
        dataset: a `ray.data.Dataset` with an `embedding` column, as `embed`
            returns (computed here if it is not materialised).
        path: the `.npy` file to write.
        id_column: a column (such as `path` or a product id) whose values
            of the rows written are saved, in the same order, beside
            `path` as `<name>.ids.npy`.

    Returns:
        `path`, as a `Path`.

    Example:

    .. code-block:: python

        from keras_patterns.integrations.ray import embed, embeddings_to_npy

        rows = embed(photos, "grouper/", concurrency=8)
        embeddings_to_npy(rows, "embeddings.npy", id_column="path")
        # embeddings.npy (N, D) and embeddings.ids.npy (N,)
    """
    path = Path(path)
    ids = []
    with NpyWriter(path, np.float32) as writer:
        for batch in dataset.iter_batches(batch_size=BATCH_ROWS, batch_format="numpy"):
            vectors = _batch_embeddings(batch, id_column)
            if not len(vectors):
                continue
            ok = ~np.isnan(vectors).any(axis=1)
            writer.append(vectors[ok])
            if id_column is not None:
                ids.append(np.asarray(batch[id_column])[ok])
        if not writer.rows:
            raise ValueError(
                f"No row of the dataset has an embedding to write to {path}: the "
                'dataset is empty or every row failed (see its "error" column).'
            )
    if id_column is not None:
        values = np.concatenate(ids)
        if values.dtype == object:
            values = values.astype(str)
        ids_path = path.with_name(path.stem + ".ids.npy")
        with atomic_path(ids_path) as target, open(target, "wb") as out:
            np.save(out, values)
    return path


def _batch_embeddings(batch, id_column):
    """The `embedding` column of a batch as `(B, D)`, after checking the columns."""
    missing = [c for c in ("embedding", id_column) if c is not None and c not in batch]
    if missing:
        raise ValueError(
            f'"dataset" must have the columns {missing} (embed adds "embedding"). '
            f"Received: a dataset with columns {sorted(batch)}"
        )
    column = batch["embedding"]
    if column.dtype == object:  # a column Ray could not stack
        column = np.stack(list(column))
    return np.asarray(column, np.float32)
