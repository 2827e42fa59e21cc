"""Official ESRGAN / BasicSR / Real-ESRGAN checkpoints to `RRDBNet`.

Two key namings exist. ESRGAN's repository: `conv_first`,
`RRDB_trunk.N.RDB1.conv1`, `trunk_conv`, `upconv1`, `upconv2`, `HRconv`,
`conv_last`. BasicSR and Real-ESRGAN: `conv_first`, `body.N.rdb1.conv1`,
`conv_body`, `conv_up1`, `conv_up2`, `conv_hr`, `conv_last`, saved inside
`params` and/or `params_ema`. Both are read here into BasicSR names, the
architecture is inferred from the weight shapes, and PyTorch's
`(out, in, kh, kw)` kernels become Keras' `(kh, kw, in, out)`.
"""

import re
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from keras_patterns.utils.typing import PathLike

OFFICIAL_NAMES = {
    "trunk_conv": "conv_body",
    "upconv1": "conv_up1",
    "upconv2": "conv_up2",
    "HRconv": "conv_hr",
}
_OFFICIAL_BODY = re.compile(r"^RRDB_trunk\.(\d+)\.RDB(\d)\.(conv\d)\.(weight|bias)$")
_BODY = re.compile(r"^body\.(\d+)\.rdb(\d)\.conv(\d)\.(weight|bias)$")
TOP_CONVS = ("conv_first", "conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last")


def _to_numpy(value):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def load_state_dict(
    path_or_state_dict: PathLike | dict[str, Any], key: str | None = None
) -> dict[str, np.ndarray]:
    """Reads a checkpoint into `{name: float32 array}` with BasicSR names.

    Args:
        path_or_state_dict: a `.pth` file or a dict of arrays/tensors.
        key: wrapper to read (`"params_ema"`, `"params"`); by default
            `params_ema` if present, else `params`, else the dict itself.

    Returns:
        A dict of float32 NumPy arrays keyed by BasicSR names.
    """
    if isinstance(path_or_state_dict, dict):
        state = path_or_state_dict
    else:
        try:
            import torch
        except ImportError as error:
            raise ImportError(
                "Reading .pth checkpoints needs PyTorch: pip install "
                "'keras-patterns[torch]' (a CPU build is enough), or pass a dict of "
                "NumPy arrays."
            ) from error
        state = torch.load(path_or_state_dict, map_location="cpu", weights_only=True)
    if key is not None:
        if key not in state:
            raise ValueError(
                f'"key" {key!r} is not in the checkpoint; its top-level keys are '
                f"{sorted(state)[:10]}"
            )
        state = state[key]
    elif "params_ema" in state:
        state = state["params_ema"]
    elif "params" in state:
        state = state["params"]
    converted = {}
    for name, value in state.items():
        name = name.removeprefix("module.")
        match = _OFFICIAL_BODY.match(name)
        if match:
            block, rdb, conv, kind = match.groups()
            name = f"body.{block}.rdb{rdb}.{conv}.{kind}"
        else:
            stem, _, kind = name.partition(".")
            name = f"{OFFICIAL_NAMES.get(stem, stem)}.{kind}"
        converted[name] = _to_numpy(value)
    return converted


def infer_architecture(
    state: Mapping[str, np.ndarray], in_channels: int | None = None
) -> dict[str, int]:
    """`RRDBNet` arguments read off the weight shapes of a BasicSR state dict.

    Args:
        state: a BasicSR-named state dict, as `load_state_dict` returns.
        in_channels: image channels; by default the output channels.

    Returns:
        A dict of `RRDBNet` arguments: `scale`, `num_blocks`, `filters`,
        `growth`, `in_channels` and `out_channels`.
    """
    try:
        first = state["conv_first.weight"]
        last = state["conv_last.weight"]
        growth = state["body.0.rdb1.conv1.weight"].shape[0]
    except KeyError as error:
        raise ValueError(
            f"Not an RRDBNet checkpoint: key {error.args[0]!r} is missing. Keys found: "
            f"{sorted(state)[:8]}..."
        ) from None
    blocks = {int(m.group(1)) for m in map(_BODY.match, state) if m}
    out_channels = last.shape[0]
    in_channels = in_channels or out_channels
    factors = {in_channels: 4, 4 * in_channels: 2, 16 * in_channels: 1}
    if first.shape[1] not in factors:
        raise ValueError(
            f"conv_first takes {first.shape[1]} channels, which is not "
            f"{in_channels}, {4 * in_channels} or {16 * in_channels} "
            f"(scale 4, 2 or 1 for {in_channels}-channel images)."
        )
    return {
        "scale": factors[first.shape[1]],
        "num_blocks": max(blocks) + 1,
        "filters": first.shape[0],
        "growth": growth,
        "in_channels": in_channels,
        "out_channels": out_channels,
    }


def unshuffle_permutation(channels: int, factor: int) -> np.ndarray:
    """Keras input channel `(i*f + j)*C + c` takes PyTorch channel `c*f*f + i*f + j`.

    Args:
        channels: the image channels `C`.
        factor: the pixel-unshuffle factor `f`.

    Returns:
        An integer array of `C * f * f` PyTorch channel indices, one for each
        Keras channel.
    """
    k = np.arange(channels * factor * factor)
    return (k % channels) * factor * factor + k // channels


def _keras_convs(model):
    """`{BasicSR name prefix: Conv2D layer}` for every convolution of the model."""
    convs = {name: model.get_layer(name) for name in TOP_CONVS}
    for n in range(model.num_blocks):
        rrdb = model.get_layer(f"body_{n}")
        for k, block in enumerate(rrdb.blocks, start=1):
            for j, conv in enumerate(block.convs, start=1):
                convs[f"body.{n}.rdb{k}.conv{j}"] = conv
    return convs


def _kernel(name, weight, model):
    kernel = weight.transpose(2, 3, 1, 0)
    if name == "conv_first" and model.input_multiple > 1:
        kernel = kernel[
            :, :, unshuffle_permutation(model.in_channels, model.input_multiple)
        ]
    return kernel


def assign_state_dict(
    model: keras.Model, state: Mapping[str, np.ndarray]
) -> keras.Model:
    """Copies a BasicSR-named state dict into `model`, checking every key.

    Args:
        model: the `RRDBNet` to fill, of the checkpoint's architecture.
        state: a BasicSR-named state dict, as `load_state_dict` returns.

    Returns:
        `model`, its weights replaced.

    Raises:
        ValueError: a missing, unexpected or mis-shaped key.
    """
    convs = _keras_convs(model)
    expected = {}
    for name, conv in convs.items():
        kh, kw, cin, cout = conv.kernel.shape
        expected[f"{name}.weight"] = (cout, cin, kh, kw)
        expected[f"{name}.bias"] = (cout,)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = sorted(
        f"{k}: {tuple(state[k].shape)} != {expected[k]}"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != expected[k]
    )
    if missing or unexpected or misshaped:
        raise ValueError(
            "The checkpoint does not match RRDBNet("
            f"scale={model.scale}, num_blocks={model.num_blocks}, "
            f"filters={model.filters}, "
            f"growth={model.growth}). Missing keys: {missing or 'none'}. Unexpected "
            f"keys: {unexpected or 'none'}. Mis-shaped: {misshaped or 'none'}."
        )
    for name, conv in convs.items():
        conv.kernel.assign(_kernel(name, state[f"{name}.weight"], model))
        conv.bias.assign(state[f"{name}.bias"])
    return model


def rrdbnet_from_state_dict(
    cls: type[keras.Model],
    path_or_state_dict: PathLike | dict[str, Any],
    key: str | None = None,
    in_channels: int | None = None,
    **kwargs: Any,
) -> keras.Model:
    """Builds `cls` (an `RRDBNet` class) from a checkpoint.

    See `RRDBNet.from_torch_checkpoint`.

    Args:
        cls: `RRDBNet` or a subclass of it.
        path_or_state_dict: a `.pth` file or a dict of arrays/tensors.
        key: the wrapper key to read (see `load_state_dict`).
        in_channels: image channels; by default the output channels.
        **kwargs: passed to `cls`, over the arguments read off the weights.

    Returns:
        The `cls` instance with the checkpoint's weights.
    """
    state = load_state_dict(path_or_state_dict, key)
    architecture = infer_architecture(state, in_channels)
    architecture.update(kwargs)
    return assign_state_dict(cls(**architecture), state)
