"""Rebuilding a `keras.applications` network with changed layer settings.

DeepLabV3+ dilates the last stages of its classifier backbone instead of
striding, and ESRGAN's perceptual loss reads VGG19 features before a ReLU:
both are the same network with a few layer configs changed and every
pretrained weight kept.
"""

from collections.abc import Mapping
from typing import Any

import keras


def dilated_clone(
    model: keras.Model,
    changes: Mapping[str, Mapping[str, Any]],
    bn_momentum: float | None = None,
) -> keras.Model:
    """Rebuilds `model` with per-layer config `changes`, keeping its weights.

    Args:
        model: a functional `keras.Model`.
        changes: `{layer_name: {config_key: value}}`; shapes of weights must
            not change (strides, dilation and padding do not change them).
        bn_momentum: if given, the momentum of every `BatchNormalization`.

    Returns:
        The rebuilt model, with every layer's weights copied by name.
    """
    unknown = sorted(set(changes) - {layer.name for layer in model.layers})
    if unknown:
        raise ValueError(f"Layers {unknown} are not in model {model.name!r}.")

    def clone(layer):
        config = layer.get_config()
        config.update(changes.get(layer.name, {}))
        if bn_momentum is not None and isinstance(
            layer, keras.layers.BatchNormalization
        ):
            config["momentum"] = bn_momentum
        return layer.__class__.from_config(config)

    rebuilt = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt
