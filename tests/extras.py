"""The optional extras of pyproject.toml, as the tests see them.

`tests/conftest.py` skips a test marked `@pytest.mark.extra(name)` where
the extra is missing; helper code run inside a test calls `require`.
"""

import importlib.util
import re

import pytest

# The optional extras of pyproject.toml, with the modules each provides.
EXTRAS = {
    "torch": ("torch",),
    "jax": ("jax",),
    "faiss": ("faiss",),
    "ray": ("ray",),
    "hub": ("keras_hub",),
    "export": ("tf2onnx", "onnx", "onnxruntime", "ai_edge_litert"),
}
_REASON = 'needs the "{extra}" extra, not installed: pip install -e ".[{extra}]"'
REASON_PATTERN = re.compile(r'needs the "(\w+)" extra, not installed')


def installed(module):
    """Whether `module` can be imported, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or broken
        return False


def missing_modules(extra):
    """The modules of `extra` that are not installed."""
    if extra not in EXTRAS:
        raise ValueError(
            f'"extra" must be one of {sorted(EXTRAS)} (pyproject.toml\'s optional '
            f"dependencies). Received: extra={extra!r}"
        )
    return [module for module in EXTRAS[extra] if not installed(module)]


def skip_reason(extra):
    """The reason a test that needs `extra` skips: names the extra and its install."""
    return _REASON.format(extra=extra)


def require(extra, module=None):
    """Imports `module` (by default the extra's first) or skips naming `extra`.

    For helper code that runs inside a test; tests themselves take the
    `extra` marker.
    """
    name = module or EXTRAS[extra][0]
    return pytest.importorskip(name, reason=skip_reason(extra))
