"""The local S3 the functions write to: moto's server (``moto.server.ThreadedMotoServer``) on
127.0.0.1, in a thread of the emulator, started only when a hosted function names a bucket
(the load generator's worker stack). Its buckets are created at start and live as long as the
emulator; moto keeps the objects in memory.

moto admits any credentials (it checks no signature unless told to); the functions sign with
the emulator's, which is what AWS's role credentials stand for here. The hand-written GET-only
endpoint of ``s3`` model stacks (``_emulator._S3Endpoint``) is a different thing: it serves the
model artifact as a file and stays as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._errors import EmulatorConfigError, EmulatorStartError
from .gateway._sigv4 import StaticCredentials

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

__all__ = ["LocalBuckets"]


class LocalBuckets:
    """moto's S3 server holding ``buckets``; ``url`` once started."""

    def __init__(
        self, buckets: Sequence[str], *, credentials: StaticCredentials, region: str
    ) -> None:
        self.buckets = tuple(dict.fromkeys(buckets))
        self.credentials = credentials
        self.region = region
        self.url = ""
        self._server: ThreadedMotoServer | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self._start)

    def _start(self) -> None:
        try:
            import boto3
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise EmulatorConfigError(
                f"the worker stack's bucket needs moto's server ({exc.name} is not installed); "
                "install it: pip install '.[emulator]'"
            ) from None
        # werkzeug logs every request to stderr: the emulator's own output is for the user.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        try:
            server.start()
        except OSError as exc:
            raise EmulatorStartError(f"cannot start the local S3 (moto): {exc}") from None
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            aws_session_token=self.credentials.session_token,
        )
        where = (
            {}
            if self.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        )
        for bucket in self.buckets:
            try:
                client.create_bucket(Bucket=bucket, **where)
            except client.exceptions.BucketAlreadyOwnedByYou:
                pass  # moto's state is the process's: another emulator in it made it

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.stop)
