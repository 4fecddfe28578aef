"""Which control-plane operation a Lambda API path and method name, as botocore sends them."""

from __future__ import annotations

import pytest

from emulator.lambda_service._control_routes import ControlOperation, control_operation

FN = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn"


@pytest.mark.parametrize(
    ("method", "rest", "name"),
    [
        ("GET", "", "GetFunction"),
        ("DELETE", "", "DeleteFunction"),
        ("GET", "/configuration", "GetFunctionConfiguration"),
        ("PUT", "/configuration", "UpdateFunctionConfiguration"),
        ("POST", "/versions", "PublishVersion"),
        ("GET", "/versions", "ListVersionsByFunction"),
        ("POST", "/aliases", "CreateAlias"),
        ("GET", "/aliases", "ListAliases"),
    ],
)
def test_function_paths_name_their_operation_and_keep_the_function_as_sent(
    method: str, rest: str, name: str
) -> None:
    function = FN.rsplit("/", 1)[1]
    assert control_operation(method, FN + rest) == ControlOperation(name, function)


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("GET", "GetAlias"),
        ("PUT", "UpdateAlias"),
        ("DELETE", "DeleteAlias"),
    ],
)
def test_an_alias_path_names_the_alias(method: str, name: str) -> None:
    operation = control_operation(method, "/2015-03-31/functions/fn/aliases/live")
    assert operation == ControlOperation(name, "fn", "live")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/2015-03-31/functions/fn/invocations"),  # Invoke: not the control plane's
        ("POST", "/2015-03-31/functions/fn/aliases/live"),  # no such method on an alias
        ("PUT", "/2015-03-31/functions/fn/versions"),
        ("GET", "/2015-03-31/functions/fn/aliases/"),  # an alias path without its name
        ("GET", "/2015-03-31/functions/"),  # no function
        ("GET", "/2015-03-31/functions/fn/code/extra"),
        ("GET", "/2017-03-31/functions/fn"),  # another API version's prefix
    ],
)
def test_anything_else_is_no_control_operation(method: str, path: str) -> None:
    assert control_operation(method, path) is None
