"""Public Keras models, re-exported from the stage that defines each one."""

__all__ = []
