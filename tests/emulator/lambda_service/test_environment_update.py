"""UpdateFunctionConfiguration's ``Environment``: what Lambda accepts, and each refusal's type."""

from __future__ import annotations

import pytest

from emulator.lambda_service._control_answers import Refused
from emulator.lambda_service._environment_update import updated_variables


def test_the_variables_are_taken_as_given_and_an_empty_environment_clears_them() -> None:
    assert updated_variables({"Variables": {"MODEL_X": "1", "b_2": ""}}) == {
        "MODEL_X": "1",
        "b_2": "",
    }
    assert updated_variables({}) == {}


@pytest.mark.parametrize(
    ("environment", "error_type", "named"),
    [
        (["MODEL_X=1"], "InvalidParameterValueException", "Environment"),
        ({"Variables": {"MODEL_X": 1}}, "InvalidParameterValueException", "string values"),
        ({"Variables": {"1ST": "x", "A-B": "y"}}, "ValidationException", "1ST, A-B"),
        ({"Variables": {"BIG": "x" * 4096}}, "InvalidParameterValueException", "4KB"),
        ({"Variables": {"MODEL_X": "a\0b"}}, "InvalidParameterValueException", "NUL"),
        (
            {"Variables": {"AWS_REGION": "x", "LAMBDA_TASK_ROOT": "/"}},
            "InvalidParameterValueException",
            "AWS_REGION, LAMBDA_TASK_ROOT",
        ),
    ],
)
def test_what_lambda_refuses_is_refused_with_its_error_type_naming_the_culprit(
    environment: object, error_type: str, named: str
) -> None:
    with pytest.raises(Refused) as refused:
        updated_variables(environment)
    assert (refused.value.status, refused.value.error_type) == (400, error_type)
    assert named in refused.value.message
