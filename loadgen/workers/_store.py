"""The run's store: the worker stack's bucket (claim, stop marker, finding and fetching folders)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Protocol

from resultfiles import RESULT_FILES

from .._errors import TargetError
from ._handler import STOP_BODY
from ._stack import WorkerStack

__all__ = ["CLAIM_NAME", "STOP_NAME", "RunStore", "S3Store", "look_for_folders"]

#: The object a run puts under ``PREFIX/RUN_ID/`` before invoking anything: of two
#: controllers given one run id, the second finds it there and stops, having sent nothing.
CLAIM_NAME = "claim.json"
#: The marker a stopped run writes there; each worker looks for it every STOP_CHECK_S.
STOP_NAME = "stop"


class RunStore(Protocol):
    """The worker stack's bucket, as the controller uses it (keys are full keys)."""

    def claim(self, key: str, body: bytes) -> bool:
        """Create ``key`` unless it exists; False when it already did."""

    def unclaim(self, key: str) -> None:
        """Remove the claim ``key`` if allowed (a run that invoked nothing); never raises."""

    def ask_to_stop(self, key: str) -> None:
        """Write the stop marker ``key`` that the workers look for."""

    def holds_folder(self, prefix: str) -> bool:
        """Whether a worker's whole folder (every result file) is under ``prefix``."""

    def download(self, prefix: str, folder: Path) -> None:
        """Copy the result files under ``prefix`` into ``folder``."""


class S3Store:
    """The worker stack's bucket through boto3 (the emulator's S3 endpoint when it gives one)."""

    def __init__(self, stack: WorkerStack) -> None:
        import boto3

        self.bucket = stack.bucket
        self.client = boto3.client("s3", endpoint_url=stack.s3_endpoint, **stack.client_args())

    def claim(self, key: str, body: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            # A conditional write: S3 refuses it (412) when the key exists, atomically.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                return False
            raise TargetError(
                f"cannot claim the run in s3://{self.bucket}/{key} ({code}): the "
                "controller needs s3:PutObject on the bucket's runs/"
            ) from exc
        return True

    def ask_to_stop(self, key: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=STOP_BODY)

    def unclaim(self, key: str) -> None:
        # Without s3:DeleteObject the claim stays (and expires with the run's folders).
        with contextlib.suppress(Exception):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def holds_folder(self, prefix: str) -> bool:
        found = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{prefix}/")
        keys = {item["Key"] for item in found.get("Contents", [])}
        return all(f"{prefix}/{name}" in keys for name in RESULT_FILES)

    def download(self, prefix: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in RESULT_FILES:
            self.client.download_file(self.bucket, f"{prefix}/{name}", str(folder / name))


def look_for_folders(
    waiting: dict[int, str],
    replies: dict[int, dict[str, Any]],
    *,
    bucket: RunStore,
    stack: WorkerStack,
    events: list[dict[str, Any]],
) -> None:
    """Move each worker of ``waiting`` whose whole folder is in the bucket to ``replies``."""
    for worker in list(waiting):
        prefix = str(events[worker]["prefix"])
        try:
            found = bucket.holds_folder(prefix)
        except Exception:  # noqa: BLE001 - looked again later, or the worker stays unfinished
            found = False
        if found:
            replies[worker] = {
                "worker": worker,
                "status": "ok",
                "requests": None,
                "clock": None,
                "recovered": f"{waiting.pop(worker)}; its folder was found in "
                f"s3://{stack.bucket}/{prefix}/",
            }
