"""Running a plan: settings, the run's clock, the session from first request to final files,
each attempt, the run's state, stopping early, and the generator's self-check."""
