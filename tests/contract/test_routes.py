"""Route keys match as API Gateway matches them, in the contract and in the emulator's gateway
alike, and path parameters are read from the matched path."""

from __future__ import annotations

from contract import path_parameters, route_matches
from emulator.gateway._apigw import match_route


def test_routes_match_as_api_gateway_matches_them() -> None:
    assert route_matches("GET /items/{id}", "GET", "/items/7")
    assert not route_matches("GET /items/{id}", "GET", "/items/7/parts")
    assert route_matches("ANY /{proxy+}", "DELETE", "/a/b/c")
    assert not route_matches("ANY /{proxy+}", "GET", "/")
    assert route_matches("POST /items", "POST", "/items/")
    assert not route_matches("POST /items", "GET", "/items")
    routes = ["ANY /{proxy+}", "GET /items/{id}", "GET /items/special"]
    assert match_route(routes, "GET", "/items/special") == "GET /items/special"
    assert match_route(routes, "GET", "/items/3") == "GET /items/{id}"
    assert match_route(routes, "PUT", "/items/3") == "ANY /{proxy+}"
    assert path_parameters("GET /items/{id}", "/items/7") == {"id": "7"}
    assert path_parameters("ANY /files/{path+}", "/files/a/b.txt") == {"path": "a/b.txt"}
    assert path_parameters("GET /items", "/items") == {}
