"""The memory sweep (``python -m study sweep``): its command line, its input, the local backend,
the records and figures both backends share, the output and ``--apply``; ``aws/`` measures a
deployed function."""
