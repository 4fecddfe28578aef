"""Lambda's own numbers that the emulator, the report and the functions all depend on."""

from __future__ import annotations

#: Lambda's documented ratio: a function gets one vCPU's worth of CPU time at 1,769 MB (the
#: emulator's CPU limits, the report's "vCPU asked").
MB_PER_VCPU = 1769
#: Lambda quota: synchronous invocation request and response payloads, 6 MB each (the
#: emulator refuses larger events and results; each function refuses a larger decoded body).
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
