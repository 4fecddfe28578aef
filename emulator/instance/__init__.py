"""One instance: launching its process in its cgroup with its memory and environment, the
Runtime API it polls, and what the Python and Java runtimes see."""
