"""Config plumbing shared by the functional models built from their arguments."""

from typing import Any
from typing import TypeVar

import keras

_Config = TypeVar("_Config", bound="ArgumentsConfig")


def nested(obj: str | keras.layers.Layer | None) -> str | dict[str, Any] | None:
    """A nested layer or model as it goes into a config (names stay names).

    Args:
        obj: a Keras layer or model, a name (such as a backbone's), or
            `None`.

    Returns:
        `obj` itself when a str or `None`, else its serialised config dict.
    """
    return (
        obj
        if isinstance(obj, (str, type(None)))
        else keras.saving.serialize_keras_object(obj)
    )


class ArgumentsConfig:
    """Mixin for `keras.Model` subclasses whose config is their `__init__` arguments.

    As in KerasHub, such a model builds its functional graph in `__init__`,
    so `from_config` simply calls the constructor again. Subclasses define
    `_arguments()` returning their arguments (nested layers through
    `nested`) and list in `NESTED` the arguments that may hold a serialised
    Keras object.
    """

    NESTED = ()

    def _arguments(self):
        raise TypeError(f"{type(self).__name__} must define _arguments().")

    def get_config(self) -> dict[str, Any]:
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }
        config.update(self._arguments())
        return config

    @classmethod
    def from_config(cls: type[_Config], config: dict[str, Any]) -> _Config:
        config = dict(config)
        for key in cls.NESTED:
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.deserialize(config["dtype"])
        return cls(**config)


class RestoresCompile:
    """Mixin restoring a custom `compile()` when a saved model is loaded.

    Keras skips `compile_from_config` (and warns) for models that override
    `compile`; these models only fill in defaults before calling Keras'
    own, so the stored optimizer, loss and metrics can be passed back to it.
    """

    def compile_from_config(self, config: dict[str, Any]) -> None:
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built and getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)
