"""Reductions over the replicas of a multi-device training step.

Keras sums the gradients of the replicas of a `tf.distribute` strategy, and
only divides a loss by the number of replicas when it averages the loss
itself (`reduction="sum_over_batch_size"`). A loss that reduces itself (a
mean over valid pixels, a mean over mined triplets) must therefore return,
on each replica, its share of the global-batch value, so that the shares
add up to the loss one device computes on the whole batch. The helpers
here give those shares.

Only TensorFlow's replicas see part of the batch: under JAX's
`keras.distribution.DataParallel` the train step sees the global, sharded
batch, and PyTorch's Keras backend trains on one device, so every helper
is the identity there (and outside a replica context on TensorFlow).
TensorFlow is imported only when it is Keras' backend.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import keras
from keras import ops

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import Tensor

Distribution = Any
"""What trains a model on several devices: a `tf.distribute.Strategy` on
TensorFlow, a `keras.distribution.DataParallel` on JAX, or `None`."""


def _replica_context() -> Any:
    """The TensorFlow replica context of a step on several replicas, or `None`."""
    if keras.backend.backend() != "tensorflow":
        return None
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


def num_replicas() -> int:
    """Number of replicas that each compute part of the current step.

    Returns:
        `num_replicas_in_sync` inside a TensorFlow replica context (the
        function a `tf.distribute.Strategy` runs on each device), 1
        otherwise: in a cross-replica context, without a strategy, and on
        JAX and PyTorch.
    """
    context = _replica_context()
    return 1 if context is None else int(context.num_replicas_in_sync)


def all_gather(x: Tensor) -> Tensor:
    """`x` of every replica, concatenated along axis 0, on every replica.

    Differentiable: the gradient sums the upstream gradients of all
    replicas and returns this replica's slice, so a loss computed by every
    replica on the gathered batch and divided by `num_replicas()` trains
    like the same loss on one device.

    Args:
        x: a tensor of rank 1 or more, this replica's part of the batch.

    Returns:
        The global batch, in replica order; `x` itself on one replica.
    """
    context = _replica_context()
    return x if context is None else context.all_gather(x, axis=0)


def replica_sum(x: Tensor) -> Tensor:
    """The sum of `x` over the replicas (an all-reduce); `x` on one replica.

    Args:
        x: a tensor of the same shape on every replica.

    Returns:
        The element-wise sum over the replicas.
    """
    context = _replica_context()
    if context is None:
        return x
    return context.all_reduce(tf.distribute.ReduceOp.SUM, x)


def global_mean(total: Tensor, count: Tensor, min_count: float = 1.0) -> Tensor:
    """This replica's share of a mean over the global batch.

    `total / max(sum of count over replicas, min_count)`: the shares of the
    replicas add up to the global mean, which is what Keras' sum of the
    replicas' gradients needs. The count is a constant for the gradient.

    Args:
        total: this replica's sum of the values averaged.
        count: this replica's number (or weight) of values.
        min_count: smallest divisor, so that an empty batch gives 0.

    Returns:
        A float32 scalar; `total / max(count, min_count)` on one replica.

    Example:

    >>> from keras_patterns.utils.distribution import global_mean
    >>> float(global_mean(3.0, 2.0))
    1.5
    """
    count = replica_sum(ops.stop_gradient(ops.cast(count, "float32")))
    return ops.cast(total, "float32") / ops.maximum(count, min_count)


def check_distribution(distribution: Distribution) -> None:
    """Raises a `ValueError` if the backend cannot train with `distribution`.

    Args:
        distribution: `None`; on TensorFlow a `tf.distribute.Strategy`; on
            JAX a `keras.distribution.DataParallel` (or `ModelParallel`).
    """
    if distribution is None:
        return
    backend = keras.backend.backend()
    if backend == "tensorflow":
        expected, valid = (
            "a tf.distribute.Strategy",
            isinstance(distribution, tf.distribute.Strategy),
        )
    elif backend == "jax":
        # Their base class, `Distribution`, is not public.
        expected, valid = (
            "a keras.distribution.DataParallel or ModelParallel",
            (
                isinstance(
                    distribution,
                    (keras.distribution.DataParallel, keras.distribution.ModelParallel),
                )
            ),
        )
    else:
        raise ValueError(
            f'"distribution" must be None on the {backend} backend, which trains '
            f"on one device. Received: distribution={distribution!r}"
        )
    if not valid:
        raise ValueError(
            f'"distribution" must be {expected} on the {backend} backend, or '
            f"None. Received: distribution={distribution!r}"
        )


@contextlib.contextmanager
def distribution_scope(distribution: Distribution) -> Iterator[None]:
    """Builds, compiles and trains the models created inside on several devices.

    Args:
        distribution: `None` (nothing changes); on TensorFlow a
            `tf.distribute.Strategy`, whose `scope()` is entered; on JAX a
            `keras.distribution.DataParallel` (or `ModelParallel`), made the
            current distribution for the duration (the previous one is
            restored).

    Raises:
        ValueError: if `distribution` does not suit the backend.
    """
    check_distribution(distribution)
    if distribution is None:
        yield
    else:
        with distribution.scope():
            yield


def data_parallel(num_devices: int) -> Distribution:
    """Data parallelism over the first `num_devices` devices of this machine.

    GPUs when there are enough, otherwise logical CPU devices: on
    TensorFlow they are configured here, which must happen before
    TensorFlow initialises its devices; on JAX the process must start
    with `XLA_FLAGS=--xla_force_host_platform_device_count=N`.

    Args:
        num_devices: number of devices (replicas), at least 1.

    Returns:
        On TensorFlow a `tf.distribute.MirroredStrategy`, on JAX a
        `keras.distribution.DataParallel`; for `distribution_scope` and
        the recipes' `distribution` argument.

    Raises:
        ValueError: if `num_devices` is not a positive int, if there are
            fewer devices, or on PyTorch.
    """
    if (
        isinstance(num_devices, bool)
        or not isinstance(num_devices, int)
        or num_devices < 1
    ):
        raise ValueError(
            '"num_devices" must be a positive int. '
            f"Received: num_devices={num_devices!r}"
        )
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _mirrored_strategy(num_devices)
    if backend == "jax":
        import jax

        devices = jax.devices()
        if len(devices) < num_devices:
            raise ValueError(
                f'"num_devices" must be at most the {len(devices)} JAX devices; '
                "for CPU devices, start Python with "
                f"XLA_FLAGS=--xla_force_host_platform_device_count={num_devices}. "
                f"Received: num_devices={num_devices}"
            )
        return keras.distribution.DataParallel(devices=devices[:num_devices])
    raise ValueError(
        f'"num_devices" needs the tensorflow or jax backend; {backend} trains '
        f"on one device. Received: num_devices={num_devices}"
    )


def _mirrored_strategy(num_devices):
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) >= num_devices:
        return tf.distribute.MirroredStrategy([f"/gpu:{i}" for i in range(num_devices)])
    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.get_logical_device_configuration(cpu) or [None]) < num_devices:
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
            )
        except RuntimeError as error:
            raise ValueError(
                f'"num_devices" is more than the {len(gpus)} GPUs, and TensorFlow '
                "has already initialised its devices, so no logical CPU devices "
                "can be added: call data_parallel before any TensorFlow "
                f"operation. Received: num_devices={num_devices}"
            ) from error
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(num_devices)])
