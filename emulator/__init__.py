"""A local AWS Lambda + API Gateway (HTTP API, payload 2.0) emulator with real cold starts.

``python -m emulator up [STACK ...]`` hosts the stacks; in code::

    async with Emulator([spec], EmulatorOptions(time_scale=10)) as emu:
        url = emu.urls[spec.name]
"""

from __future__ import annotations

from ._cli import add_network_options
from ._emulator import Emulator
from ._errors import EmulatorBuildError, EmulatorConfigError, EmulatorError, EmulatorStartError
from ._prepare import stack_specs
from ._spec import EmulatorOptions, FunctionSpec, S3Object
from .gateway._sigv4 import StaticCredentials
from .logs._logs import read_events

__all__ = [
    "Emulator",
    "EmulatorBuildError",
    "EmulatorConfigError",
    "EmulatorError",
    "EmulatorOptions",
    "EmulatorStartError",
    "FunctionSpec",
    "S3Object",
    "StaticCredentials",
    "add_network_options",
    "read_events",
    "stack_specs",
]
