"""The Pulumi program: one stack of the study, its settings read from Pulumi.<stack>.yaml.

`pulumi stack select python-512 && pulumi up`; see README.md, "Deploying a stack". A stack
of kind loadgen-worker (Pulumi.loadgen-workers.yaml) deploys the load generator's workers.
"""

from __future__ import annotations

import pulumi

from stack.aws import compose, provider_args_from_pulumi, stack_from_pulumi

settings, package = stack_from_pulumi()
for output_name, value in compose(settings, package, provider_args_from_pulumi()).items():
    pulumi.export(output_name, value)
