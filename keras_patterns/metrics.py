"""Public metrics, re-exported from the stage that defines each one."""

__all__ = []
