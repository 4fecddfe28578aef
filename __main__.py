"""The Pulumi program: one stack of the study, its settings read from Pulumi.<stack>.yaml.

`pulumi stack select python-512 && pulumi up`; see README.md, "Deploying a stack".
"""

from __future__ import annotations

import pulumi

from stack.aws import ModelStack, ModelStackArgs, provider_args_from_pulumi, stack_from_pulumi

settings, package = stack_from_pulumi()
model_stack = ModelStack(
    settings.name,
    ModelStackArgs(settings=settings, package=package, provider_args=provider_args_from_pulumi()),
)
for output_name, value in model_stack.outputs.items():
    pulumi.export(output_name, value)
