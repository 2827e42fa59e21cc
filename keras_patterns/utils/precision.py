"""Mixed precision: whether it pays on this machine, and a scoped policy."""

import contextlib
import functools
from collections.abc import Iterator

import keras

from keras_patterns.utils.lazy_tensorflow import tf


@functools.cache
def bfloat16_is_fast() -> bool:
    """Whether mixed bfloat16 training pays here: TensorFlow on a CPU with
    native bfloat16 (AVX512-BF16 or AMX), and no GPU.

    There the texture CNN trains faster in mixed bfloat16; MobileNetV2's
    depthwise convolutions do not gain, so the segmenter stays in float32.
    """
    if keras.backend.backend() != "tensorflow" or tf.config.list_physical_devices(
        "GPU"
    ):
        return False
    try:
        with open("/proc/cpuinfo") as info:
            flags = info.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@contextlib.contextmanager
def dtype_policy(name: str | keras.DTypePolicy) -> Iterator[None]:
    """Sets Keras' global dtype policy to `name` within a `with` block.

    Args:
        name: a dtype policy or its name, such as `"mixed_bfloat16"`; the
            previous policy is restored on leaving the block.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _swap_policy(node, policy):
    if isinstance(node, list):
        return [_swap_policy(value, policy) for value in node]
    if not isinstance(node, dict):
        return node
    if node.get("class_name") == "DTypePolicy" and node["config"]["name"] == "float32":
        return {**node, "config": {**node["config"], "name": policy}}
    return {key: _swap_policy(value, policy) for key, value in node.items()}


def with_dtype_policy(model: keras.Model, policy: str) -> keras.Model:
    """A copy of `model` whose float32 layers compute under `policy`.

    For inference in mixed precision (`"mixed_bfloat16"` where
    `bfloat16_is_fast()`): the copy keeps the weights (float32 variables,
    as mixed policies do) and computes in bfloat16, so outputs differ from
    the float32 model's by bfloat16's rounding (a relative 2^-8 per
    operation). Every float32 layer changes, those set to float32 on
    purpose too (a saved config does not tell them apart); layers under
    another policy keep it.

    Args:
        model: a built Keras model that serializes (every model in the
            package does).
        policy: the dtype policy of the copy's float32 layers.

    Returns:
        The copy, with `model`'s weights.

    Example:

    >>> import keras, numpy as np
    >>> from keras_patterns.utils.precision import with_dtype_policy
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> fast = with_dtype_policy(model, "mixed_bfloat16")
    >>> fast.layers[0].compute_dtype, fast.layers[0].kernel.dtype
    ('bfloat16', 'float32')
    """
    policy = keras.DTypePolicy(policy).name  # checks the name
    config = _swap_policy(keras.saving.serialize_keras_object(model), policy)
    copy = keras.saving.deserialize_keras_object(config)
    if not copy.built:
        copy.build(model.input_shape)
    copy.set_weights(model.get_weights())
    return copy
