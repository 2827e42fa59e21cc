"""Public Keras losses, re-exported from the stage that defines each one."""

__all__ = []
