"""The result files: requests, HDR histograms and their interval log, totals, run.json, and
the lossless merge of runs from several machines (formats: docs/results.md)."""
