"""Sphinx configuration of the keras-patterns documentation."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_patterns.version import __version__  # noqa: E402

project = "keras-patterns"
author = "The keras-patterns authors"
copyright = "2026, The keras-patterns authors"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": False}
default_role = "code"

exclude_patterns = ["_build"]
templates_path = []
html_theme = "furo"
html_title = f"keras-patterns {release}"
html_static_path = ["_static"]
