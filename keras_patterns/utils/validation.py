"""Argument checks whose errors name the argument, the value and the form.

Error messages follow Keras: `ValueError: "rates" must be a tuple of
positive ints. Received: rates=(6, -1)`.
"""

import numbers


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(value, name, minimum=1):
    """Returns `value` as an int, or raises if it is not an int >= `minimum`."""
    if not _is_int(value) or value < minimum:
        raise ValueError(
            f'"{name}" must be an int >= {minimum}. Received: {name}={value!r}'
        )
    return int(value)


def check_size(value, name="image_size", minimum=1):
    """Returns a `(height, width)` tuple of ints >= `minimum`, or raises."""
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


def check_choice(value, choices, name):
    """Returns `value` if it is one of `choices`, or raises."""
    if value not in choices:
        raise ValueError(
            f'"{name}" must be one of {tuple(choices)}. Received: {name}={value!r}'
        )
    return value


def check_non_negative(value, name):
    """Returns `value` as a float, or raises if it is not a finite real >= 0."""
    if not (isinstance(value, numbers.Real) and 0 <= value < float("inf")):
        raise ValueError(
            f'"{name}" must be a finite number >= 0. Received: {name}={value!r}'
        )
    return float(value)


def check_names(
    values, names, name, source="label_names", distinct=False, as_list=False
):
    """Ids into `names` of a name (a str) or of a sequence of names.

    A single name gives one id, or a one-id list with `as_list`. Raises,
    naming the argument `name`, when a name is not in `names` (the argument
    `source`), when the sequence is empty, or, with `distinct`, when a name
    repeats.
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
