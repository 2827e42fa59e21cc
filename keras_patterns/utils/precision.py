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
