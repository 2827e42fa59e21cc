"""The package version, read by ``pyproject.toml`` without importing Keras."""

__version__ = "0.2.0"
