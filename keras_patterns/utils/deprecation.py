"""Old import paths of moved modules, kept working with a warning."""

import importlib
import sys
import types
import warnings
from collections.abc import Mapping
from typing import Any


class MovedModule(types.ModuleType):
    """Stands at a module's old path and forwards every attribute to its new one.

    The new module is imported on first use, so an alias costs nothing
    until someone reaches for it; each use warns with a
    `DeprecationWarning` that names the new path.

    Args:
        old: the old dotted path, the name of this module.
        new: the dotted path the module moved to.
        renamed: `{old_attribute: "module:attribute"}` for attributes that
            moved elsewhere or changed name.
    """

    def __init__(
        self, old: str, new: str, renamed: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(old, f"Moved to `{new}`.")
        self._new = new
        self._renamed = dict(renamed or {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        target, _, attribute = self._renamed.get(name, f"{self._new}:{name}").partition(
            ":"
        )
        value = getattr(importlib.import_module(target), attribute)
        warnings.warn(
            f"{self.__name__} moved to {self._new}; import it from there.",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(importlib.import_module(self._new))) | set(self._renamed))


def alias_moved_module(
    old: str, new: str, renamed: Mapping[str, str] | None = None
) -> MovedModule:
    """Makes `import old`, `from parent import name` and `old.attr` reach `new`.

    Args:
        old: the old dotted path; its parent package must be imported.
        new: the dotted path the module moved to.
        renamed: `{old_attribute: "module:attribute"}` for attributes that
            moved elsewhere or changed name.

    Returns:
        The `MovedModule` registered at `old`.
    """
    parent, _, name = old.rpartition(".")
    alias = MovedModule(old, new, renamed)
    sys.modules[old] = alias
    setattr(sys.modules[parent], name, alias)
    return alias
