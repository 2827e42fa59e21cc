"""Argument checks whose errors name the argument, the value and the form.

Error messages follow Keras: `ValueError: "rates" must be a tuple of
positive ints. Received: rates=(6, -1)`.
"""

import numbers
from collections.abc import Collection
from collections.abc import Iterable
from typing import Any

from keras_patterns.utils.typing import Size


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """Returns `value` as an int, or raises if it is not an int >= `minimum`.

    Args:
        value: the argument to check (a bool is not an int here).
        name: the argument's name, for the error message.
        minimum: the smallest value allowed.

    Returns:
        `value` as an `int`.
    """
    if not _is_int(value) or value < minimum:
        raise ValueError(
            f'"{name}" must be an int >= {minimum}. Received: {name}={value!r}'
        )
    return int(value)


def check_size(value: Any, name: str = "image_size", minimum: int = 1) -> Size:
    """Returns a `(height, width)` tuple of ints >= `minimum`, or raises.

    Args:
        value: the argument to check, a tuple or list of two ints.
        name: the argument's name, for the error message.
        minimum: the smallest height and width allowed.

    Returns:
        `(height, width)`, a tuple of two ints.
    """
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(_is_int(v) and v >= minimum for v in value)
    ):
        raise ValueError(
            f'"{name}" must be (height, width) with both ints >= {minimum}. '
            f"Received: {name}={value!r}"
        )
    return int(value[0]), int(value[1])


def check_choice(value: Any, choices: Collection[Any], name: str) -> Any:
    """Returns `value` if it is one of `choices`, or raises.

    Args:
        value: the argument to check.
        choices: the values allowed.
        name: the argument's name, for the error message.

    Returns:
        `value`, unchanged.
    """
    if value not in choices:
        raise ValueError(
            f'"{name}" must be one of {tuple(choices)}. Received: {name}={value!r}'
        )
    return value


def check_non_negative(value: Any, name: str) -> float:
    """Returns `value` as a float, or raises if it is not a finite real >= 0.

    Args:
        value: the argument to check.
        name: the argument's name, for the error message.

    Returns:
        `value` as a `float`.
    """
    if not (isinstance(value, numbers.Real) and 0 <= value < float("inf")):
        raise ValueError(
            f'"{name}" must be a finite number >= 0. Received: {name}={value!r}'
        )
    return float(value)


def check_positive(value: Any, name: str) -> float:
    """Returns `value` as a float, or raises if it is not a finite real > 0.

    Args:
        value: the argument to check.
        name: the argument's name, for the error message.

    Returns:
        `value` as a `float`.
    """
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Real) and 0 < value < float("inf")
    ):
        raise ValueError(
            f'"{name}" must be a finite number > 0. Received: {name}={value!r}'
        )
    return float(value)


def check_names(
    values: str | Iterable[str],
    names: Iterable[str],
    name: str,
    source: str = "label_names",
    distinct: bool = False,
    as_list: bool = False,
) -> int | list[int]:
    """Ids into `names` of a name (a str) or of a sequence of names.

    A single name gives one id, or a one-id list with `as_list`. Raises,
    naming the argument `name`, when a name is not in `names` (the argument
    `source`), when the sequence is empty, or, with `distinct`, when a name
    repeats.

    Args:
        values: a name, or a sequence of names.
        names: the names allowed; a name's id is its index here.
        name: the argument's name, for the error message.
        source: what `names` is called, for the error message.
        distinct: raise when a name appears twice in `values`.
        as_list: return a list for a single name too.

    Returns:
        The id of a single name (without `as_list`), else a list of ids.
    """
    names = tuple(names)
    single = isinstance(values, str)
    given = (values,) if single else tuple(values)
    if (
        not given
        or any(v not in names for v in given)
        or (distinct and len(set(given)) != len(given))
    ):
        form = "a name" if single else "distinct names" if distinct else "names"
        raise ValueError(
            f'"{name}" must be {form} from "{source}" {names}. '
            f"Received: {name}={values!r}"
        )
    ids = [names.index(v) for v in given]
    return ids[0] if single and not as_list else ids
