"""The study's report: stacks compared side by side from result folders and REPORT lines.

Run from the command line (``python -m report write RESULTS_DIR...``, also
``python -m loadgen report``) or from Python::

    from report import write_report
    path = write_report([Path("results/r1")], Path("results/r1/report"))

It reads result folders (docs/results.md) through ``resultfiles`` and server logs, nothing
else: it does not import the load generator.
"""

from __future__ import annotations

from resultfiles import ResultsError

from ._cloudwatch import CloudWatchError, download_logs
from ._cost import CostEstimate, Prices, estimate_cost
from ._figures import (
    RecommendationRule,
    ScenarioRun,
    StackFigures,
    collect,
    load_report_lines,
    recommend,
    stack_figures,
)
from ._markdown import write_report
from ._reportline import ReportLine, ReportLineError, parse_report_line, read_report_lines

__all__ = [
    "CloudWatchError",
    "CostEstimate",
    "Prices",
    "RecommendationRule",
    "ReportLine",
    "ReportLineError",
    "ResultsError",
    "ScenarioRun",
    "StackFigures",
    "collect",
    "download_logs",
    "estimate_cost",
    "load_report_lines",
    "parse_report_line",
    "read_report_lines",
    "recommend",
    "stack_figures",
    "write_report",
]
