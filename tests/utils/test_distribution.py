"""The replica helpers on one device, and the `distribution` arguments.

Two replicas need devices configured before the backend starts: that is
`tests/test_multi_device.py`, in subprocesses.
"""

import keras
import numpy as np
import pytest

from keras_patterns.apps import recipes
from keras_patterns.utils import distribution as dist


def _one_device_distribution():
    """What each backend takes, on one device (`None` for PyTorch)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.distribute.OneDeviceStrategy("/cpu:0")
    if backend == "jax":
        import jax

        return keras.distribution.DataParallel(devices=jax.devices()[:1])
    return None


def test_helpers_are_identities_on_one_device():
    x = np.arange(6, dtype="float32").reshape(3, 2)
    assert dist.num_replicas() == 1
    assert dist.all_gather(x) is x
    assert dist.replica_sum(x) is x
    assert float(dist.global_mean(3.0, 2.0)) == 1.5
    assert float(dist.global_mean(0.0, 0.0)) == 0.0  # an empty batch
    assert float(dist.global_mean(1.0, 0.25, min_count=1e-12)) == 4.0


def test_helpers_inside_a_one_replica_step():
    distribution = _one_device_distribution()
    if keras.backend.backend() != "tensorflow":
        assert dist.num_replicas() == 1
        return

    def step(x):
        gathered = dist.all_gather(x)
        return dist.num_replicas(), gathered, dist.global_mean(sum(x), len(x))

    replicas, gathered, mean = distribution.run(step, args=([1.0, 2.0],))
    assert replicas == 1
    assert float(mean) == 1.5
    np.testing.assert_array_equal(gathered, [1.0, 2.0])


def test_distribution_scope_enters_and_leaves():
    distribution = _one_device_distribution()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with dist.distribution_scope(distribution):
            assert tf.distribute.get_strategy() is distribution
        assert tf.distribute.get_strategy() is not distribution
    elif backend == "jax":
        with dist.distribution_scope(distribution):
            assert keras.distribution.distribution() is distribution
        assert keras.distribution.distribution() is None
    with dist.distribution_scope(None):  # nothing changes
        assert dist.num_replicas() == 1


@pytest.mark.parametrize("wrong", ["mirrored", 2, object()])
def test_a_wrong_distribution_is_refused(wrong):
    with pytest.raises(ValueError, match='"distribution" must be'):
        dist.check_distribution(wrong)
    with (
        pytest.raises(ValueError, match='"distribution" must be'),
        dist.distribution_scope(wrong),
    ):
        pass
    dist.check_distribution(None)


def test_the_other_backends_distribution_is_refused():
    backend = keras.backend.backend()
    if backend == "jax":
        import tensorflow as tf

        wrong = tf.distribute.get_strategy()
    else:  # Keras' DataParallel trains on JAX only
        wrong = keras.distribution.DataParallel(devices=["cpu:0"])
    with pytest.raises(ValueError, match=f"on the {backend} backend"):
        dist.check_distribution(wrong)


@pytest.mark.parametrize(
    "recipe",
    [recipes.train_segmenter, recipes.train_enhancer, recipes.train_embedder],
    ids=lambda f: f.__name__,
)
def test_recipes_check_their_distribution_first(recipe):
    # Refused before any data is drawn or model built.
    with pytest.raises(ValueError, match='"distribution" must be'):
        recipe(steps=1, distribution="2 gpus")


@pytest.mark.parametrize("wrong", [0, -1, 1.5, True, "2"])
def test_data_parallel_needs_a_positive_count(wrong):
    with pytest.raises(ValueError, match='"num_devices" must be a positive int'):
        dist.data_parallel(wrong)


def test_data_parallel_on_one_device():
    if keras.backend.backend() == "torch":
        with pytest.raises(ValueError, match="num_devices"):
            dist.data_parallel(1)
        return
    distribution = dist.data_parallel(1)
    dist.check_distribution(distribution)
