"""Runs ``__main__.py`` under Pulumi's mocks, fresh each time, and records what it declared.

A module runs its resource declarations once per import, so the program file is executed
anew (``runpy``) for every run, with a new mock monitor, a new root stack and the stack's
config set as Pulumi's language host would (every value a string, maps as JSON).
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor

from stack import PROJECT

from .paths import REPO

ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
INTEGRATION_ID = "int0001"
IMAGE_DIGEST = "sha256:" + "ab" * 32
ECR_PASSWORD = "ecr-password"
#: The organization a stack reference names (the local backend's is ``organization``).
ORGANIZATION = "organization"


def partition_of(region: str) -> str:
    """The AWS partition of a region, as the provider's getPartition answers."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def api_id_of(stack: str) -> str:
    """The (made-up, distinct) API id of a deployed model stack another stack refers to."""
    return f"api{zlib.crc32(stack.encode()) % 10**7:07d}"


def execution_arn(stack: str, region: str = "us-east-1") -> str:
    """The ``execution_arn`` output of a deployed model stack, as a stack reference reads it."""
    return f"arn:{partition_of(region)}:execute-api:{region}:{ACCOUNT}:{api_id_of(stack)}"


@dataclass
class Declared:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    provider: str
    urn: str = ""
    parent: str = ""
    #: URNs this resource waits for (explicit depends_on and inputs from other resources).
    dependencies: frozenset[str] = frozenset()


@dataclass
class Run:
    resources: list[Declared] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    #: Provider functions the program called (token, arguments).
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: The provider reference each of those calls went through (token, provider).
    call_providers: list[tuple[str, str]] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Declared]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Declared:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Declared:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def inventory(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource.type] = counts.get(resource.type, 0) + 1
        return dict(sorted(counts.items()))


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like AWS would (ARNs, ids, endpoints) and records every declaration."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        region = inputs.get("region") or "us-east-1"
        outputs = dict(inputs)
        resource_id = f"{args.name}-id"
        kind = args.typ
        if kind == "pulumi:providers:aws":
            self._region = region
        region = getattr(self, "_region", "us-east-1")
        if kind == "aws:s3/bucket:Bucket":
            bucket = f"{args.name}-0a1b2c3"
            resource_id = bucket
            outputs.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}")
        elif kind == "aws:cloudwatch/logGroup:LogGroup":
            outputs["arn"] = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{inputs['name']}"
            resource_id = inputs["name"]
        elif kind == "aws:iam/role:Role":
            outputs.update(
                name=f"{args.name}-7f3e", arn=f"arn:aws:iam::{ACCOUNT}:role/{args.name}-7f3e"
            )
            resource_id = outputs["name"]
        elif kind == "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{inputs['name']}"
            version = "1" if inputs.get("publish") else "$LATEST"
            outputs.update(
                arn=arn,
                version=version,
                qualifiedArn=f"{arn}:{version}",
                invokeArn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
            )
            resource_id = inputs["name"]
        elif kind == "aws:lambda/alias:Alias":
            function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{inputs['functionName']}"
            outputs["arn"] = f"{function_arn}:{inputs['name']}"
        elif kind == "aws:lambda/layerVersion:LayerVersion":
            outputs["arn"] = f"arn:aws:lambda:{region}:{ACCOUNT}:layer:{inputs['layerName']}:1"
        elif kind == "aws:apigatewayv2/api:Api":
            resource_id = API_ID
            outputs.update(
                apiEndpoint=f"https://{resource_id}.execute-api.{region}.amazonaws.com",
                executionArn=f"arn:aws:execute-api:{region}:{ACCOUNT}:{resource_id}",
            )
        elif kind == "aws:apigatewayv2/integration:Integration":
            resource_id = INTEGRATION_ID
        elif kind == "aws:s3/bucketObjectv2:BucketObjectv2":
            outputs["versionId"] = f"{args.name}-v1"
        elif kind == "aws:ecr/repository:Repository":
            registry = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
            outputs.update(
                registryId=ACCOUNT,
                repositoryUrl=f"{registry}/{inputs['name']}",
                arn=f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{inputs['name']}",
            )
            resource_id = inputs["name"]
        elif kind == "pulumi:pulumi:StackReference":
            # Another stack's state, as the backend returns it: a deployed model stack's outputs.
            target = inputs["name"].rsplit("/", 1)[-1]
            outputs["outputs"] = {"execution_arn": execution_arn(target, region)}
            outputs["secretOutputNames"] = []
            resource_id = inputs["name"]
        elif kind == "docker-build:index:Image":
            # What the provider reports after a push: the first tag, pinned by the digest.
            outputs.update(digest=IMAGE_DIGEST, ref=f"{inputs['tags'][0]}@{IMAGE_DIGEST}")
        elif kind == "aws:cloudwatch/eventRule:EventRule":
            rule = inputs.get("name") or f"{args.name}-5d1e"
            outputs.update(name=rule, arn=f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}")
        self.run.resources.append(Declared(kind, args.name, inputs, outputs, args.provider or ""))
        return resource_id, outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.run.call_providers.append((args.token, args.provider or ""))
        if args.token == "aws:index/getPartition:getPartition":
            self.run.calls.append((args.token, dict(args.args)))
            partition = partition_of(getattr(self, "_region", "us-east-1"))
            return {"partition": partition, "id": partition, "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws"}, []  # fmt: skip
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            self.run.calls.append((args.token, dict(args.args)))
            return {
                "userName": "AWS",
                "password": ECR_PASSWORD,
                "authorizationToken": "QVdTOmVjci1wYXNzd29yZA==",
                "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com",
                "expiresAt": "2026-12-02T00:00:00Z",
                "registryId": args.args.get("registryId", ACCOUNT),
                "id": "us-east-1",
            }, []
        raise AssertionError(f"the program made an unexpected provider call: {args.token}")


class RecordingMonitor(MockMonitor):
    """The mock monitor, also noting each resource's URN, parent and dependencies."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks

    def RegisterResource(self, request: Any) -> Any:
        # pulumi's MockMonitor leaves its methods unannotated.
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        for declared in self.recording.run.resources:
            if declared.type == request.type and declared.name == request.name:
                declared.urn = response.urn
                declared.parent = request.parent
                dependencies = set(request.dependencies)
                for urns in request.propertyDependencies.values():
                    dependencies.update(urns.urns)
                declared.dependencies = frozenset(dependencies)
        return response


class _LoopTrackingPolicy(asyncio.DefaultEventLoopPolicy):
    """Notes every event loop Pulumi makes (one per worker thread of the mock monitor) so
    that the run can close them all; left open, the garbage collector warns about them."""

    def __init__(self) -> None:
        super().__init__()
        self.loops: list[asyncio.AbstractEventLoop] = []

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        self.loops.append(loop)
        return loop


def pulumi_config(stack_file: Path) -> dict[str, str]:
    """The config a Pulumi program receives for a stack file: every value a string."""
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    config = document.get("config") or {}
    return {
        str(key): value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }


def run_program(
    stack: str, config: dict[str, str], *, run: Run | None = None, main: Path = REPO / "__main__.py"
) -> Run:
    """Execute the Pulumi program once for ``stack`` under mocks (preview=False, so every
    output is known) and return what it declared and exported (into ``run`` when given, so
    that a caller can look at it after the program failed)."""
    run = Run() if run is None else run
    previous_policy = asyncio.get_event_loop_policy()
    policy = _LoopTrackingPolicy()
    asyncio.set_event_loop_policy(policy)
    # Pulumi's synchronous helpers run on the thread's event loop: a new one per run, set
    # before the root stack's futures are made.
    asyncio.set_event_loop(policy.new_event_loop())
    # A fresh root stack resource per run: set_mocks creates one only when none exists.
    pulumi_settings.ROOT.set(None)
    # As Pulumi's language host hands a program its stack's config: one JSON object.
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    mocks = RecordingMocks(run)
    pulumi.runtime.set_mocks(
        mocks,
        project=PROJECT,
        stack=stack,
        preview=False,
        monitor=RecordingMonitor(mocks),
        organization=ORGANIZATION,
    )

    # pulumi.runtime.test is an unannotated decorator.
    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(main), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        assert root is not None
        exports = root.outputs  # type: ignore[attr-defined]
        return pulumi.Output.from_input(exports).apply(run.exports.update)

    try:
        program()
    finally:
        del os.environ["PULUMI_CONFIG"]
        asyncio.set_event_loop(None)
        for loop in policy.loops:
            loop.close()
        asyncio.set_event_loop_policy(previous_policy)
    return run
