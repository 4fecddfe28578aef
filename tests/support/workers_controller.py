"""A real controller process for the workers' fault tests (signals, full disks, collisions).

``python -m tests.support.workers_controller STATE.json -- LOADGEN_ARGS...`` (from the
repository's root) runs
``python -m loadgen LOADGEN_ARGS`` in this process with the workers' Lambda replaced by the
real handler, one thread per invocation, and their bucket by moto's in-process S3 (the
bucket ``loadgen-workers-test``, worker stack ``w`` of the endpoints file the caller gives).
At exit it writes STATE.json: the exit status, the bucket's keys and the workers invoked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

BUCKET = "loadgen-workers-test"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state", type=Path)
    parser.add_argument("loadgen", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(key, None)

    import boto3
    from moto import mock_aws

    import loadgen.workers._invoke as invoke_module
    from loadgen.__main__ import main as loadgen_main
    from loadgen.workers._handler import run_worker

    invoked: list[int] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        invoked.append(int(event["worker"]))
        return run_worker(event)

    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        invoke_module.lambda_invoker = lambda *_a, **_k: invoke
        argv = args.loadgen[1:] if args.loadgen[:1] == ["--"] else args.loadgen
        status = loadgen_main(argv)
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
    args.state.write_text(json.dumps({"status": status, "keys": keys, "invoked": invoked}))
    return status


if __name__ == "__main__":
    sys.exit(main())
