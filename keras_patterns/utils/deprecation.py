"""Old import paths of moved modules, kept working with a warning."""

import importlib
import sys
import types
import warnings
from collections.abc import Callable
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
        with warnings.catch_warnings():  # one warning: this move's
            warnings.simplefilter("ignore", DeprecationWarning)
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


def moved_names(module: str, moved: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that forwards names which moved, with a warning.

    Put `__getattr__ = moved_names(__name__, {...})` in the module that used
    to hold the names: `from module import name` and `module.name` keep
    working, warn with a `DeprecationWarning` naming the new path, and give
    the very object at the new path (imported on first use, so the old
    module imports nothing of the new one until a name is asked for).

    Args:
        module: the old module's dotted name (`__name__`).
        moved: `{old_name: "new.module"}` for a name kept in its new
            module, or `{old_name: "new.module:new_name"}`.

    Returns:
        The `__getattr__` function.

    Example:

    >>> import warnings
    >>> getattr_ = moved_names("old.place", {"sqrt": "math"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("sqrt")(9.0), str(caught[0].message)
    (3.0, 'old.place.sqrt moved to math.sqrt; import it from there.')
    """
    moved = dict(moved)

    def __getattr__(name: str) -> Any:
        if name not in moved:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        target, _, attribute = moved[name].partition(":")
        attribute = attribute or name
        warnings.warn(
            f"{module}.{name} moved to {target}.{attribute}; import it from there.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(target), attribute)

    return __getattr__
