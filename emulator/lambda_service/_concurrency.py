"""Lambda's concurrency: a slot per request in flight, from the account's pool or a reserved one."""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import EmulatorConfigError
from .._spec import FunctionSpec


class ConcurrencyPool:
    """Concurrency slots: one per request in flight (Lambda counts requests, not instances).

    The account's unreserved pool is shared by every function without reserved concurrency; a
    function with a reservation has a pool of its own, carved out of the account's.
    """

    def __init__(self, limit: int, *, name: str) -> None:
        self.limit = limit
        self.name = name
        self.in_flight = 0

    def take(self) -> bool:
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)


def concurrency_pools(
    specs: Sequence[FunctionSpec], account_concurrency: int
) -> dict[str, ConcurrencyPool]:
    """Each function's concurrency pool, as Lambda carves reservations out of the account's.

    A function with reserved concurrency gets a pool of exactly that size, which no other
    function can use; the functions without one share what is left of the account's.
    """
    reserved = {s.name: s.reserved_concurrency for s in specs if s.reserved_concurrency is not None}
    reserved_total = sum(reserved.values())
    if reserved_total > account_concurrency:
        each = ", ".join(f"{n}: {r}" for n, r in reserved.items())
        raise EmulatorConfigError(
            f"reserved concurrency totals {reserved_total} ({each}), "
            f"more than the account concurrency {account_concurrency}: "
            "raise --account-concurrency or lower the stacks' reserved_concurrency"
        )
    shared = [s.name for s in specs if s.reserved_concurrency is None]
    if shared and reserved_total == account_concurrency:
        # Every request to these would be throttled; AWS refuses such reservations too (it keeps
        # 100 slots unreserved), so say so now rather than answer 429 to everything.
        raise EmulatorConfigError(
            f"reserved concurrency takes all {account_concurrency} of the account concurrency, "
            f"leaving none for {', '.join(shared)}: "
            f"raise --account-concurrency above {reserved_total}"
        )
    unreserved = ConcurrencyPool(account_concurrency - reserved_total, name="unreserved")
    return {
        s.name: (
            ConcurrencyPool(reserved[s.name], name=f"reserved:{s.name}")
            if s.name in reserved
            else unreserved
        )
        for s in specs
    }
