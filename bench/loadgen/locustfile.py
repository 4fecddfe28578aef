"""Locust FastHttpUser for bench/bench_loadgen.py: the same POST /predict, no wait time."""

from __future__ import annotations

from locust import FastHttpUser, constant, task

BODY = '{"instances":[{"duration":0,"src_bytes":181,"dst_bytes":5450}]}'


class Predict(FastHttpUser):
    wait_time = constant(0)

    @task
    def predict(self) -> None:
        self.client.post("/predict", data=BODY, headers={"content-type": "application/json"})
