"""Tiled super-resolution of images of any size, with bounded memory."""

import math
from collections.abc import Sequence

import keras
import numpy as np

from keras_patterns.utils.images import check_image
from keras_patterns.utils.inference import predict_batches
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int

ALPHA_MODES = ("model", "bicubic")


def _generator_scale(generator):
    scale = getattr(generator, "scale", None)
    if scale is None:
        probe = np.zeros((1, 8, 8, 3), "float32")
        scale = int(keras.ops.convert_to_numpy(generator(probe)).shape[1]) // 8
    return int(scale)


def _windows(length, tile, overlap, multiple):
    """(core_start, core_stop, window_start, window_stop) along one axis."""
    spans = []
    for start in range(0, length, tile):
        stop = min(start + tile, length)
        low = max(0, start - overlap) // multiple * multiple
        high = min(length, math.ceil((stop + overlap) / multiple) * multiple)
        spans.append((start, stop, low, high))
    return spans


def _upscale_rgb(generator, image, scale, tile, overlap, multiple, batch_size):
    """`image` float32 (H, W, 3), H and W multiples of `multiple`."""
    height, width = image.shape[:2]
    out = np.empty((height * scale, width * scale, 3), np.float32)
    jobs = {}
    for r0, r1, wr0, wr1 in _windows(height, tile, overlap, multiple):
        for c0, c1, wc0, wc1 in _windows(width, tile, overlap, multiple):
            jobs.setdefault((wr1 - wr0, wc1 - wc0), []).append(
                (r0, r1, wr0, c0, c1, wc0)
            )
    for (win_h, win_w), group in jobs.items():
        for start in range(0, len(group), batch_size):
            chunk = group[start : start + batch_size]
            batch = np.stack(
                [image[r : r + win_h, c : c + win_w] for _, _, r, _, _, c in chunk]
            )
            result = predict_batches(generator, batch, batch_size, any_size=True)
            for (r0, r1, wr0, c0, c1, wc0), sr in zip(chunk, result, strict=True):
                core = sr[
                    (r0 - wr0) * scale : (r1 - wr0) * scale,
                    (c0 - wc0) * scale : (c1 - wc0) * scale,
                ]
                out[r0 * scale : r1 * scale, c0 * scale : c1 * scale] = core
    return out


def _pad_to_multiple(image, multiple):
    pad_h, pad_w = (-image.shape[0]) % multiple, (-image.shape[1]) % multiple
    if pad_h or pad_w:
        mode = "reflect" if min(image.shape[:2]) > max(pad_h, pad_w) else "edge"
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)
    return image


def _bicubic(channel, scale):
    from PIL import Image

    height, width = channel.shape
    pil = Image.fromarray(channel.astype(np.float32), mode="F")
    return np.asarray(pil.resize((width * scale, height * scale), Image.BICUBIC))


def _upscale_one(generator, image, scale, tile, overlap, batch_size, alpha):
    multiple = getattr(generator, "input_multiple", 1)
    height, width, channels = image.shape

    def run(rgb):
        padded = _pad_to_multiple(rgb, multiple)
        result = _upscale_rgb(
            generator, padded, scale, tile, overlap, multiple, batch_size
        )
        return result[: height * scale, : width * scale]

    if channels in (1, 2):  # grey (+ alpha): the network sees grey RGB
        out = run(np.repeat(image[..., :1], 3, axis=-1)).mean(axis=-1, keepdims=True)
    else:
        out = run(image[..., :3])
    if channels in (2, 4):
        if alpha == "model":
            grey = np.repeat(image[..., -1:], 3, axis=-1)
            alpha_out = run(grey).mean(axis=-1, keepdims=True)
        else:
            alpha_out = _bicubic(image[..., -1], scale)[..., None]
        out = np.concatenate([out, alpha_out], axis=-1)
    return np.clip(out, 0.0, 1.0)


def upscale(
    generator: keras.Model,
    image: ArrayLike | Sequence[ArrayLike],
    tile: int = 128,
    overlap: int = 16,
    batch_size: int = 4,
    alpha: str = "model",
) -> np.ndarray | list[np.ndarray]:
    """Super-resolves images of any size tile by tile.

    The image is cut into `tile` x `tile` cores; each is run through the
    generator together with `overlap` pixels of context on every side, and
    only its core is pasted back, so tiles meet without seams and memory
    stays bounded by the tile size. With `overlap` at least the generator's
    `receptive_radius`, the result equals running the whole image at once;
    a smaller overlap (the default 16 px, as Real-ESRGAN's tile padding)
    changes pixels by far less than one grey level in practice. Sizes that
    the network needs divisible (pixel-unshuffle for scales 2 and 1) are
    reached by reflect-padding, cropped away afterwards.

    Args:
        generator: an `RRDBNet` (or any model mapping [0, 1] images to
            `scale` times larger ones).
        image: `(H, W)`, `(H, W, C)` with C in 1-4, a batch `(N, H, W, C)`,
            or a list of images of different sizes; uint8 in [0, 255] or
            float in [0, 1]. Grey images run as grey RGB; an alpha channel
            is upscaled separately (by the network, or bicubic).
        tile: core size of the tiles, in input pixels.
        overlap: context pixels around each tile.
        batch_size: tiles per forward pass.
        alpha: `"model"` or `"bicubic"` for alpha channels.

    Returns:
        The upscaled image(s), of the same kind: uint8 in, uint8 out; float
        in, float32 in [0, 1] out; a list for a list, an array for an array.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> net = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    >>> tuple(kp.enhancement.upscale(net, np.zeros((10, 7, 3), np.uint8), tile=4).shape)
    (40, 28, 3)
    """
    check_int(tile, "tile")
    check_int(overlap, "overlap", minimum=0)
    check_int(batch_size, "batch_size")
    check_choice(alpha, ALPHA_MODES, "alpha")
    multiple = getattr(generator, "input_multiple", 1)
    if tile % multiple:
        raise ValueError(
            f'"tile" must be a multiple of {multiple} for this generator. '
            f"Received: tile={tile}"
        )
    scale = _generator_scale(generator)
    if isinstance(image, (list, tuple)):
        return [
            upscale(generator, item, tile, overlap, batch_size, alpha) for item in image
        ]
    array = np.asarray(image)
    if array.ndim == 2:
        return upscale(generator, array[..., None], tile, overlap, batch_size, alpha)[
            ..., 0
        ]
    array = check_image(array, "image", channels=(1, 2, 3, 4))
    batch = array if array.ndim == 4 else array[None]
    floats = (
        batch.astype(np.float32) / 255.0
        if batch.dtype == np.uint8
        else batch.astype(np.float32)
    )
    outputs = np.stack(
        [
            _upscale_one(generator, item, scale, tile, overlap, batch_size, alpha)
            for item in floats
        ]
    )
    if array.dtype == np.uint8:
        outputs = np.round(outputs * 255.0).astype(np.uint8)
    return outputs if array.ndim == 4 else outputs[0]


def upscale_patches(
    generator: keras.Model,
    patches: Sequence[ArrayLike],
    pad_to: int = 8,
    batch_size: int = 32,
) -> list[np.ndarray]:
    """Super-resolves many small RGB patches together, batched by padded size.

    Each patch is reflect-padded on its bottom and right to the next
    multiple of `pad_to` (Real-ESRGAN's `pre_pad`), the patches of one
    padded size go through the generator's compiled forward pass together,
    and each result is cropped back to its patch's size times the scale.
    So a catalogue's patches of dozens of sizes cost a handful of batched
    calls instead of one call each, and the network sees a few shapes
    (JAX compiles each shape once). Pixels within the generator's
    `receptive_radius` of a padded edge see mirrored context instead of
    the zero padding of a patch run alone; the others are unchanged.
    Patches larger than 128 pixels go through `upscale`'s tiling instead.

    Args:
        generator: an `RRDBNet` (or any model mapping [0, 1] images to
            `scale` times larger ones).
        patches: RGB patches `(H, W, 3)` of any sizes, uint8 or float in
            [0, 1].
        pad_to: patch sides are padded to a multiple of this (and of the
            generator's `input_multiple`); 1 batches equal sizes only.
        batch_size: patches per forward pass.

    Returns:
        The upscaled patches, in order, of each patch's kind (uint8 in,
        uint8 out; float in, float32 out).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> net = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    >>> patches = [np.zeros((10, 7, 3), np.uint8), np.zeros((12, 12, 3), np.uint8)]
    >>> [p.shape for p in kp.enhancement.upscale_patches(net, patches)]
    [(40, 28, 3), (48, 48, 3)]
    """
    check_int(pad_to, "pad_to")
    check_int(batch_size, "batch_size")
    scale = _generator_scale(generator)
    multiple = math.lcm(pad_to, getattr(generator, "input_multiple", 1))
    images = [
        check_image(np.asarray(patch), f"patches[{i}]", channels=(3,), batched=False)
        for i, patch in enumerate(patches)
    ]
    results = [None] * len(images)
    by_size = {}
    for index, image in enumerate(images):
        if max(image.shape[:2]) > 128:
            results[index] = upscale(generator, image, batch_size=4)
            continue
        floats = image.astype(np.float32)
        if image.dtype == np.uint8:
            floats /= 255.0
        padded = _pad_to_multiple(floats, multiple)
        by_size.setdefault(padded.shape, []).append((index, padded))
    for group in by_size.values():
        outputs = predict_batches(
            generator,
            np.stack([padded for _, padded in group]),
            batch_size,
            any_size=True,
        )
        for (index, _), output in zip(group, outputs, strict=True):
            height, width = images[index].shape[:2]
            output = np.clip(output[: height * scale, : width * scale], 0.0, 1.0)
            results[index] = (
                np.round(output * 255.0).astype(np.uint8)
                if images[index].dtype == np.uint8
                else output.astype(np.float32)
            )
    return results
