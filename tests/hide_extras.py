"""A pytest plugin that hides the optional extras: `-p tests.hide_extras`.

Every module of `tests.extras.EXTRAS` then fails to import, and
`importlib.util.find_spec` raises for it, as on a machine where only the
README's install line ran, even where the extras are installed.
"""

import sys

from tests.extras import EXTRAS

HIDDEN = frozenset(module for modules in EXTRAS.values() for module in modules)


class HideExtras:
    """A meta-path finder that refuses the optional extras' modules."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(
                f"No module named {name!r} (hidden by tests.hide_extras)", name=name
            )
        return None


already = sorted(name for name in HIDDEN if name in sys.modules)
if already:
    raise RuntimeError(f"tests.hide_extras loaded after {already} were imported")
sys.meta_path.insert(0, HideExtras())
