"""What publishing versions costs, and keeping only the last few.

A stack with ``provisioned`` or ``snapstart`` publishes a function version on every ``pulumi
up`` that changes its code or configuration (alias ``live`` points at the newest). Pulumi
tracks the newest version only and never deletes the ones before it; ``pulumi destroy``
deletes the function with every version. For Java that costs nothing, but for Python, Lambda
bills a SnapStart snapshot cache for every version that exists, and a charge per restore:
``snapstart_cost_warning`` says so (the program logs it at preview and up), and
``prune_versions`` deletes all but the newest ``versions_kept`` (``python -m stack
prune-versions``), never one an alias uses. No Pulumi here; boto3 only when pruning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stack._settings import StackSettings

# AWS Lambda pricing, "Lambda SnapStart" (us-east-1; other regions differ): for Python and
# .NET, the cache of each published version is billed per GB-second of the function's memory
# for as long as the version exists, with a minimum of 3 hours, and each restore per GB. The
# figures as quoted from that page by secondary sources on 2026-12-06 (aws.amazon.com itself
# was not reachable from here); check aws.amazon.com/lambda/pricing before relying on them.
SNAPSTART_CACHE_USD_PER_GB_S = 0.0000015046
SNAPSTART_RESTORE_USD_PER_GB = 0.0001397998
SNAPSTART_CACHE_MINIMUM_S = 3 * 3600
_MONTH_S = 30 * 24 * 3600


def snapstart_cost_warning(settings: StackSettings) -> str | None:
    """The warning a Python SnapStart stack gets before anything is deployed, with the
    figures at its memory size; None for any other stack (Java's SnapStart is not billed)."""
    if settings.cold_start_mitigation != "snapstart" or settings.language != "python":
        return None
    gb = settings.memory_mb / 1024
    month_usd = gb * SNAPSTART_CACHE_USD_PER_GB_S * _MONTH_S
    minimum_usd = gb * SNAPSTART_CACHE_USD_PER_GB_S * SNAPSTART_CACHE_MINIMUM_S
    restore_usd = gb * SNAPSTART_RESTORE_USD_PER_GB
    return (
        f"stack {settings.name}: Python SnapStart bills a snapshot cache for every published "
        f"version while it exists (${SNAPSTART_CACHE_USD_PER_GB_S} per GB-second, at least 3 "
        f"hours: ${minimum_usd:.4f} to ${month_usd:.2f} a month per version at "
        f"{settings.memory_mb} MB) and ${SNAPSTART_RESTORE_USD_PER_GB} per GB restored "
        f"(${restore_usd:.6f} per cold start); us-east-1 prices. Every `pulumi up` that "
        "changes code or configuration publishes a version that Pulumi never deletes: run "
        f"`python -m stack prune-versions {settings.name}` after it to keep the newest "
        f"{settings.versions_kept} (setting versions_kept), or `pulumi destroy` when done"
    )


def versions_to_delete(
    versions: Iterable[str], alias_versions: Iterable[str], keep: int
) -> list[str]:
    """The numbered versions beyond the newest ``keep``, oldest first, leaving out every
    version an alias points at (or routes a share of traffic to) and ``$LATEST``."""
    numbered = sorted({int(v) for v in versions if v.isdigit()}, reverse=True)
    protected = set(numbered[:keep]) | {int(v) for v in alias_versions if v.isdigit()}
    return [str(v) for v in sorted(numbered) if v not in protected]


def _alias_versions(aliases: Iterable[dict[str, Any]]) -> set[str]:
    used = set()
    for alias in aliases:
        used.add(str(alias["FunctionVersion"]))
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        used.update(str(v) for v in weights)
    return used


def prune_versions(client: Any, function_name: str, keep: int, *, delete: bool) -> list[str]:
    """Delete (``delete``) or list the versions of ``function_name`` beyond the newest
    ``keep`` that no alias uses, with a boto3 Lambda ``client``; returns them, oldest first."""
    versions: list[str] = []
    for page in client.get_paginator("list_versions_by_function").paginate(
        FunctionName=function_name
    ):
        versions.extend(str(v["Version"]) for v in page["Versions"])
    aliases: list[dict[str, Any]] = []
    for page in client.get_paginator("list_aliases").paginate(FunctionName=function_name):
        aliases.extend(page["Aliases"])
    doomed = versions_to_delete(versions, _alias_versions(aliases), keep)
    if delete:
        for version in doomed:
            client.delete_function(FunctionName=function_name, Qualifier=version)
    return doomed
