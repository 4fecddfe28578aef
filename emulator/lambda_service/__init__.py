"""The Lambda service: which instance serves an invocation, concurrency, keep-alive, the
ping schedule, and the Lambda API (Invoke and the control plane a memory sweep uses)."""
