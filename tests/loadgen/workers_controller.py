"""A real controller process for the workers' fault tests (signals, full disks, collisions).

``python workers_controller.py STATE.json [--drop W] [--hold-s S] -- LOADGEN_ARGS...`` runs
``python -m loadgen LOADGEN_ARGS`` in this process with the workers' Lambda replaced by the
real handler, one thread per invocation, and their bucket by moto's in-process S3 (the
bucket ``loadgen-workers-test``, worker stack ``w`` of the endpoints file the caller gives).
``--drop W`` makes worker W's Invoke fail with a reset after 0.5 s while the worker runs on
and uploads (a connection dropped by a NAT); ``--hold-s`` keeps moto alive that long after
the controller returned, so that workers it did not wait for can finish their uploads.
At exit it writes STATE.json: the exit status, the bucket's keys and the workers invoked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

BUCKET = "loadgen-workers-test"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state", type=Path)
    parser.add_argument("--drop", type=int, action="append", default=[])
    parser.add_argument("--hold-s", type=float, default=0.0)
    parser.add_argument("loadgen", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(key, None)

    import boto3
    from moto import mock_aws

    import loadgen._workers as workers_module
    from loadgen.__main__ import main as loadgen_main
    from loadgen._worker import run_worker

    invoked: list[int] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        invoked.append(int(event["worker"]))
        if event["worker"] in args.drop:
            threading.Thread(target=run_worker, args=(event,), daemon=True).start()
            time.sleep(0.5)
            raise ConnectionResetError("Connection reset by peer")
        return run_worker(event)

    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        workers_module.lambda_invoker = lambda *_a, **_k: invoke
        argv = args.loadgen[1:] if args.loadgen[:1] == ["--"] else args.loadgen
        status = loadgen_main(argv)
        time.sleep(args.hold_s)
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
    args.state.write_text(json.dumps({"status": status, "keys": keys, "invoked": invoked}))
    return status


if __name__ == "__main__":
    sys.exit(main())
