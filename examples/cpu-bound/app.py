"""A CPU-bound function: a fixed amount of single-threaded pure-Python work per request (about
150 ms on one full vCPU of a current x86 server), nothing to read or wait for. Its Duration is
CPU time alone, so it shows how a memory size's CPU share sets Duration: about 1,769 / MB
times the one-vCPU figure below 1,769 MB, and flat above it (one thread uses one vCPU)."""

import json
import time

#: iterations of the mixing loop per request: the fixed amount of work
STEPS = 800_000
_MASK = (1 << 64) - 1


def _mix(seed, steps):
    # xorshift64: integer arithmetic only, so the work is the same on every machine and the
    # answer can be checked
    x = (seed & _MASK) or 1
    for _ in range(steps):
        x ^= (x << 13) & _MASK
        x ^= x >> 7
        x ^= (x << 17) & _MASK
    return x


def _answer(status, document, context):
    # x-request-id: the Lambda request id, which joins the answer to its REPORT line
    headers = {"content-type": "application/json"}
    if context is not None:
        headers["x-request-id"] = context.aws_request_id
    return {"statusCode": status, "headers": headers, "body": json.dumps(document)}


def lambda_handler(event, context):
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        body = None
    seed = body.get("seed", 1) if isinstance(body, dict) else None
    if isinstance(seed, bool) or not isinstance(seed, int):
        return _answer(400, {"error": 'send {"seed": <integer>}'}, context)
    cpu_started = time.process_time()
    digest = _mix(seed, STEPS)
    # the CPU time the work took: Duration over it is how long the instance waited for a CPU
    # (its share, or a busy host)
    cpu_ms = round((time.process_time() - cpu_started) * 1000, 1)
    return _answer(200, {"digest": digest, "steps": STEPS, "cpu_ms": cpu_ms}, context)
