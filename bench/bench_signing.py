"""What does SigV4 cost? The load generator's signer and the emulator's check, per request.

Signing is botocore's ``SigV4Auth`` (service execute-api) through ``loadgen.transport._sign``'s
request-path signer, which keeps a body's signed headers for the rest of the current second.
Figures are CPU time (``time.process_time``) per call, median of 5 rounds, on one core:

- ``sign_miss_us``: a body not yet signed this second (every request of a run whose bodies do
  not repeat within a second: the study's scenarios send well under one request per body a second);
- ``sign_hit_us``: a body already signed this second (a load high enough to cycle through the
  prepared bodies more than once a second);
- ``sign_get_health_us``: the one-off signer (``RequestSigner.headers``) used for GET /health;
- ``verify_us``: the emulator's check of one signed POST (botocore recomputes the signature).

Compare with loadgen's whole request path, ~45 µs CPU per request (bench/bench_loadgen.py; its
row "loadgen, SigV4-signed" measures the same run signed end to end). Writes
bench/results-signing.json.

Usage: .venv/bin/python bench/bench_signing.py [--calls N]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from botocore.credentials import Credentials

from emulator.gateway._sigv4 import SigV4Check, StaticCredentials
from loadgen.transport._sign import RequestSigner

OUT = REPO / "bench" / "results-signing.json"
HOST = "127.0.0.1:8080"
KEY = StaticCredentials(access_key_id="AKIDBENCHMARK", secret_access_key="bench-secret")


ROUNDS = 5


def per_call_us(calls: int, work: Callable[[int, int], object]) -> float:
    samples = []
    for round_ in range(ROUNDS):
        started = time.process_time()
        for i in range(calls):
            work(round_, i)
        samples.append((time.process_time() - started) / calls * 1e6)
    return round(statistics.median(samples), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    signer = RequestSigner(
        Credentials(KEY.access_key_id, KEY.secret_access_key), "us-east-1", source="aws"
    )
    # Bodies shaped like the study's (one instance of the http subset's features).
    bodies = [
        json.dumps(
            {
                "instances": [
                    {
                        "duration": i,
                        "src_bytes": 181 + i,
                        "dst_bytes": 5450,
                        "count": 8,
                        "srv_count": 8,
                        "service": "http",
                    }
                ]
            }
        ).encode()
        for i in range(args.calls)
    ]
    sign = signer.for_post(HOST, "/predict")
    # Distinct bodies in every round keep each call a miss however fast the second passes.
    miss_bodies = [[b + b" " * (r + 1) for b in bodies] for r in range(ROUNDS)]
    sign_miss = per_call_us(args.calls, lambda r, i: sign(miss_bodies[r][i]))
    hot = bodies[0]
    sign(hot)
    sign_hit = per_call_us(args.calls, lambda r, i: sign(hot))
    sign_get = per_call_us(args.calls, lambda r, i: signer.headers("GET", f"http://{HOST}/health"))

    check = SigV4Check(KEY, "us-east-1")
    body = bodies[0]
    lines = signer.for_post(HOST, "/predict")(body).decode("latin-1").strip().split("\r\n")
    headers = [
        ("host", HOST),
        ("content-type", "application/json"),
        *((n, v.strip()) for n, _, v in (line.partition(":") for line in lines)),
    ]
    assert (
        check.refusal(
            method="POST",
            raw_path="/predict",
            raw_query="",
            headers=headers,
            body=body,
            request_id="b",
        )
        is None
    )
    verify = per_call_us(
        args.calls,
        lambda r, i: check.refusal(
            method="POST",
            raw_path="/predict",
            raw_query="",
            headers=headers,
            body=body,
            request_id="b",
        ),
    )

    document = {
        "benchmark": "signing",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "calls": args.calls,
        "sign_miss_us": sign_miss,
        "sign_hit_us": sign_hit,
        "sign_get_health_us": sign_get,
        "verify_us": verify,
    }
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
