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
from ._compare import compare_runs, render_comparison
from ._cost import CostEstimate, Prices, estimate_cost, gb_seconds
from ._figures import StackFigures, percentile, stack_figures
from ._intervals import CI_METHOD, Estimate, median_estimate
from ._markdown import write_report
from ._reading import ScenarioRun, collect, load_report_lines
from ._recommend import RecommendationRule, recommend
from ._reportline import (
    InitReportLine,
    ReportLine,
    ReportLineError,
    parse_report_line,
    read_init_reports,
    read_report_lines,
)

__all__ = [
    "CI_METHOD",
    "CloudWatchError",
    "CostEstimate",
    "Estimate",
    "InitReportLine",
    "Prices",
    "RecommendationRule",
    "ReportLine",
    "ReportLineError",
    "ResultsError",
    "ScenarioRun",
    "StackFigures",
    "collect",
    "compare_runs",
    "download_logs",
    "estimate_cost",
    "gb_seconds",
    "load_report_lines",
    "median_estimate",
    "parse_report_line",
    "percentile",
    "read_init_reports",
    "read_report_lines",
    "recommend",
    "render_comparison",
    "stack_figures",
    "write_report",
]
