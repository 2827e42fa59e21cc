"""Every public function, class and method of the package is annotated.

Public: a name without a leading underscore, defined in a `keras_patterns`
module (not imported into it). Every parameter but `self` / `cls` carries an
annotation, and so does the return; properties annotate their getter. The
package ships a `py.typed` marker, so type checkers read the annotations.
"""

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import keras_patterns

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(
        keras_patterns.__path__, prefix="keras_patterns."
    )
)


def _missing(function, where):
    signature = inspect.signature(function)
    missing = [
        f"{where}({name})"
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls")
        and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append(f"{where} -> ?")
    return missing


def _public_members(module):
    for name, value in vars(module).items():
        if (
            name.startswith("_")
            or getattr(value, "__module__", None) != module.__name__
        ):
            continue
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value):
            for attribute, member in vars(value).items():
                if attribute != "__init__" and attribute.startswith("_"):
                    continue
                # Methods written elsewhere (a Protocol's generated __init__).
                function = getattr(member, "__func__", member)
                if getattr(function, "__module__", module.__name__) != module.__name__:
                    continue
                if isinstance(member, property):
                    yield f"{name}.{attribute}", member.fget
                elif isinstance(member, (classmethod, staticmethod)):
                    yield f"{name}.{attribute}", member.__func__
                elif inspect.isfunction(member):
                    yield f"{name}.{attribute}", member


@pytest.mark.parametrize("module_name", MODULES)
def test_public_api_is_annotated(module_name):
    module = importlib.import_module(module_name)
    missing = []
    for where, function in _public_members(module):
        missing += _missing(function, where)
    assert missing == []


def test_the_check_finds_a_missing_annotation():
    def typed(a: int, *, b: str = "") -> None: ...

    def untyped(a, b: int = 0): ...

    assert _missing(typed, "typed") == []
    assert _missing(untyped, "untyped") == ["untyped(a)", "untyped -> ?"]


def test_the_package_says_it_is_typed():
    assert (Path(keras_patterns.__file__).parent / "py.typed").is_file()
