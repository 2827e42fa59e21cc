"""Shared argument checks: what they return and how they refuse."""

import numpy as np
import pytest

from keras_patterns.utils.validation import check_names
from keras_patterns.utils.validation import check_non_negative

pytestmark = pytest.mark.backend_independent

NAMES = ("background", "top", "dress")


def test_check_names_gives_ids_of_one_name_or_many():
    assert check_names("dress", NAMES, "garment") == 2
    assert check_names(("dress", "top"), NAMES, "classes") == [2, 1]
    assert check_names(["top", "top"], NAMES, "classes") == [1, 1]
    assert check_names("dress", NAMES, "classes", as_list=True) == [2]
    assert check_names(("top",), NAMES, "classes", as_list=True) == [1]


@pytest.mark.parametrize(
    "values, distinct, match",
    [
        ("skirt", False, r"\"garment\" must be a name from \"label_names\".*'skirt'"),
        ((), False, r"\"garment\" must be names from"),
        (("top", "coat"), False, r"Received: garment=\('top', 'coat'\)"),
        (("top", "top"), True, r"\"garment\" must be distinct names"),
    ],
)
def test_check_names_refuses_unknown_empty_or_repeated(values, distinct, match):
    with pytest.raises(ValueError, match=match):
        check_names(values, NAMES, "garment", distinct=distinct)


def test_check_non_negative_accepts_finite_reals_only():
    assert check_non_negative(0, "prior") == 0.0
    assert check_non_negative(np.float32(1.5), "prior") == 1.5
    assert type(check_non_negative(np.int64(2), "prior")) is float
    for bad in (-0.1, float("inf"), float("nan"), "1", None, True + 0j):
        with pytest.raises(ValueError, match=r"\"prior\" must be a finite number"):
            check_non_negative(bad, "prior")
