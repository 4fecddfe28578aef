"""A test function whose behaviour is chosen by the request path (and, at init, by env vars)."""

from __future__ import annotations

import json
import os
import time
from typing import Any

if os.environ.get("TEST_INIT_FAIL"):
    raise RuntimeError("init failed on purpose (TEST_INIT_FAIL)")
if os.environ.get("TEST_INIT_SLEEP_S"):
    time.sleep(float(os.environ["TEST_INIT_SLEEP_S"]))
if os.environ.get("TEST_INIT_EXIT"):
    os._exit(3)

if os.environ.get("TEST_INIT_IMPORT"):
    __import__(os.environ["TEST_INIT_IMPORT"])
if os.environ.get("TEST_INIT_ALLOCATE_MB"):
    _HELD = bytearray(int(os.environ["TEST_INIT_ALLOCATE_MB"]) * 1024 * 1024)


def _cpu_quota() -> str | None:
    """This process's CPU quota as its cgroup holds it (v1 ``cfs_quota_us``, v2 ``cpu.max``)."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if "cpu" in controllers.split(","):
                    with open(f"/sys/fs/cgroup/cpu{path}/cpu.cfs_quota_us") as q:
                        return q.read().strip()
                if controllers == "" and os.path.exists(f"/sys/fs/cgroup{path}/cpu.max"):
                    with open(f"/sys/fs/cgroup{path}/cpu.max") as q:
                        return q.read().split()[0]
    except OSError:
        return None
    return None


_INIT_CPU_QUOTA = _cpu_quota()
_STARTED = time.time()
_SERVED = 0


def _ok(body: object, status: int = 200) -> dict[str, object]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event: dict[str, Any], context: object) -> object:
    global _SERVED
    _SERVED += 1
    path = event.get("rawPath", "")
    query = event.get("queryStringParameters") or {}
    print(f"handling {path} #{_SERVED}")
    if path == "/pid":
        return _ok(
            {
                "pid": os.getpid(),
                "served": _SERVED,
                "request_id": getattr(context, "aws_request_id", None),
                "invoked_arn": getattr(context, "invoked_function_arn", None),
                "remaining_ms": context.get_remaining_time_in_millis(),  # type: ignore[attr-defined]
                "cwd": os.getcwd(),
                "env": {
                    k: v
                    for k, v in os.environ.items()
                    if k.startswith(
                        ("AWS_LAMBDA", "LAMBDA", "_HANDLER", "AWS_REGION", "MODEL", "TEST")
                    )
                },
            }
        )
    if path == "/import":
        name = query.get("name", "")
        try:
            module = __import__(name)
        except ImportError as exc:
            return _ok({"imported": False, "error": str(exc)})
        return _ok({"imported": True, "file": getattr(module, "__file__", None)})
    if path == "/allocate":
        held = bytearray(int(query.get("mb", "1")) * 1024 * 1024)
        for i in range(0, len(held), 4096):
            held[i] = 1  # touched, so it is resident
        return _ok({"mb": len(held) // (1024 * 1024)})
    if path == "/cpu-quota":
        return _ok({"init": _INIT_CPU_QUOTA, "now": _cpu_quota()})
    if path == "/body-length":
        return _ok(
            {"chars": len(event.get("body", "")), "distinct": sorted(set(event.get("body", "")))}
        )
    if path == "/echo":
        return _ok({"event": event})
    if path == "/sleep":
        time.sleep(float(query.get("s", "0.1")))
        return _ok({"slept_s": float(query.get("s", "0.1")), "pid": os.getpid()})
    if path == "/crash":
        os._exit(7)
    if path == "/raise":
        raise ValueError("handler failed on purpose")
    if path == "/raw-dict":
        return {"message": "not a proxy response"}
    if path == "/raw-string":
        return "Hello from Lambda!"
    if path == "/bad-status":
        return {"statusCode": "two hundred", "body": "x"}
    if path == "/unserialisable":
        return {"statusCode": 200, "body": object()}
    if path == "/burn":
        end = time.process_time() + float(query.get("cpu_s", "0.2"))
        wall0 = time.time()
        while time.process_time() < end:
            pass
        return _ok({"cpu_s": float(query.get("cpu_s", "0.2")), "wall_s": time.time() - wall0})
    if path == "/map-file":
        # Maps a file of the package and reads a byte of every page: file pages, not anonymous
        # memory. The mapping is held for hold_s so a sampler can see the resident set.
        import mmap

        with (
            open(query["name"], "rb") as f,
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as pages,
        ):
            total = sum(pages[i] for i in range(0, len(pages), mmap.PAGESIZE))
            time.sleep(float(query.get("hold_s", "0")))
            return _ok({"mb": len(pages) // (1024 * 1024), "sum": total})
    if path == "/file":
        with open(os.environ["TEST_FILE"], "rb") as f:
            return _ok({"bytes": len(f.read())})
    if path == "/s3":
        import urllib.request

        env = os.environ
        url = f"{env['MODEL_S3_ENDPOINT']}/{env['MODEL_BUCKET']}/{env['MODEL_KEY']}"
        with urllib.request.urlopen(url) as response:
            return _ok({"bytes": len(response.read())})
    if path == "/call":
        # A signed GET to another stack, as a worker loads its target: the runtime's botocore,
        # the keys the instance was given (its role's).
        import urllib.error
        import urllib.request

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.session import Session

        signed = AWSRequest(method="GET", url=query["url"])
        SigV4Auth(
            Session().get_credentials().get_frozen_credentials(),
            "execute-api",
            os.environ["AWS_REGION"],
        ).add_auth(signed)
        call = urllib.request.Request(query["url"], headers=dict(signed.headers.items()))
        try:
            with urllib.request.urlopen(call, timeout=30) as response:
                return _ok({"status": response.status})
        except urllib.error.HTTPError as exc:
            return _ok({"status": exc.code, "body": exc.read().decode()})
    if path == "/buckets":
        import boto3  # the runtime's, as on AWS; endpoint and keys from the environment

        listed = boto3.client("s3").list_buckets()["Buckets"]
        return _ok(
            {
                "buckets": [b["Name"] for b in listed],
                "endpoint": os.environ.get("AWS_ENDPOINT_URL_S3"),
                "key_id": os.environ["AWS_ACCESS_KEY_ID"],
                "token": os.environ.get("AWS_SESSION_TOKEN"),
            }
        )
    return _ok({"path": path, "pid": os.getpid()})
