"""The memory sweep on a deployed function: the command line's glue, the cost asked about first,
the measuring, what it changes on the function and undoes, the log tail of each Invoke, signals
held off the clean-up, its errors."""
