"""HttpApi: the API Gateway HTTP API in front of the function."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from contract import API_GATEWAY_TIMEOUT_S, ROUTE_KEYS
from stack._settings import StackSettings

#: One JSON object per request in the API's access-log group ($context variables of HTTP APIs).
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "sourceIp": "$context.identity.sourceIp",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
    "lambdaRequestId": "$context.integration.requestId",
}


def _slug(route_key: str, *, contract_route: bool) -> str:
    """A route's resource-name part: the contract's routes keep their path alone (``predict``),
    a function's name method and path (``get-items``), ``$default`` is ``default``."""
    if route_key == "$default":
        return "default"
    method, _, path = route_key.partition(" ")
    if contract_route:
        return path.strip("/")
    words = re.sub(r"[^A-Za-z0-9]+", "-", f"{method} {path}").strip("-").lower()
    return words or "root"


@dataclass(frozen=True, kw_only=True)
class HttpApiArgs:
    settings: StackSettings
    function_name: pulumi.Input[str]
    #: The ARN API Gateway invokes: the alias when there is one.
    target_arn: pulumi.Input[str]
    #: The alias name when there is one; the invoke permission is granted on it. Pass the
    #: alias's ``name`` output: a plain string would let the permission race the alias.
    qualifier: pulumi.Input[str] | None = None
    #: A function stack's routes (``StackSettings.route_keys``; None there: ``$default``);
    #: unset: the HTTP contract's (``ROUTE_KEYS``).
    route_keys: tuple[str, ...] | None = ROUTE_KEYS


class HttpApi(pulumi.ComponentResource):
    """Routes ``POST /predict`` and ``GET /health`` to the function (proxy, payload 2.0; IAM
    authorisation unless the stack sets ``authorization: none``) on an auto-deployed
    ``$default`` stage with throttling and JSON access logs."""

    url: pulumi.Output[str]
    execution_arn: pulumi.Output[str]
    #: The stage's access-log group (`python -m report logs` joins through it).
    access_log_group: pulumi.Output[str]

    def __init__(
        self, name: str, args: HttpApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:HttpApi", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-api-logs",
            # Under /aws/vendedlogs/, API Gateway delivers without adding this group to the
            # account-wide CloudWatch Logs resource policy (5,120 characters for all of them).
            name=f"/aws/vendedlogs/apigateway/{settings.function_name}",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        api = aws.apigatewayv2.Api(
            f"{name}-api",
            name=settings.function_name,
            protocol_type="HTTP",
            description=f"lambda-model-study stack {settings.name}",
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=args.target_arn,
            payload_format_version="2.0",
            # HTTP APIs accept 50 ms to 30 s; waiting longer than the function is pointless.
            timeout_milliseconds=min(settings.timeout_s, API_GATEWAY_TIMEOUT_S) * 1000,
            opts=child,
        )
        target = pulumi.Output.concat("integrations/", integration.id)
        for route_key in args.route_keys or ("$default",):
            slug = _slug(route_key, contract_route=args.route_keys == ROUTE_KEYS)
            aws.apigatewayv2.Route(
                f"{name}-route-{slug}",
                api_id=api.id,
                route_key=route_key,
                target=target,
                # AWS_IAM: API Gateway refuses a request not signed (SigV4) by a principal
                # allowed execute-api:Invoke, before the function runs or is billed.
                authorization_type="AWS_IAM" if settings.authorization == "iam" else "NONE",
                opts=child,
            )
        aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings={
                "throttling_burst_limit": settings.api_throttle_burst,
                "throttling_rate_limit": settings.api_throttle_rate,
            },
            access_log_settings={
                "destination_arn": access_logs.arn,
                "format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
            },
            opts=child,
        )
        # Any stage, method and route of this API, and of no other.
        self.execution_arn = api.execution_arn
        aws.lambda_.Permission(
            f"{name}-api-permission",
            action="lambda:InvokeFunction",
            function=args.function_name,
            qualifier=args.qualifier,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(api.execution_arn, "/*/*"),
            opts=child,
        )
        # The $default stage is served at the API's endpoint, without a stage path.
        self.url = api.api_endpoint
        self.access_log_group = access_logs.name
        self.register_outputs(
            {
                "url": self.url,
                "execution_arn": self.execution_arn,
                "access_log_group": self.access_log_group,
            }
        )
