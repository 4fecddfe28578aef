"""What a run does when: each scenario's plan (pure timing, no clock) beside the driver that
runs it, Taurus files read into a plan, and a plan checked against its target's limits."""
