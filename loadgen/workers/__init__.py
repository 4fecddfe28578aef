"""Load from Lambda workers: a plan split into slices, the worker's Lambda handler that runs
one slice, and the controller that invokes the workers and merges their folders."""
