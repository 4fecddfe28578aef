"""The result files of a run (docs/results.md): their record type, readers and error.

Shared by the load generator (which writes them and merges them) and the report (which
reads them), so that neither imports the other::

    from resultfiles import RecordReader
    for record in RecordReader(Path("results/r1/python-512/scenario2/requests.jsonl")):
        print(record.seq, record.latency_us, record.cold_start)
"""

from __future__ import annotations

from ._access_log import AccessEntry, read_access_log
from ._atomic import write_json_atomic, write_text_atomic
from ._cpu_samples import CpuSample, read_cpu_samples
from ._endpoints import Endpoints, RequestSet, StackEndpoint, read_endpoints
from ._endpoints_file import (
    EndpointsFile,
    InitCpuModel,
    MemoryLimitModel,
    PythonInstances,
    write_endpoints,
)
from ._endpoints_stacks import (
    DependencyFolder,
    HostedStack,
    PackageFacts,
    StackLimits,
    WorkerStack,
)
from ._errors import ResultsError
from ._facts import (
    Bracket,
    GeneratorCheck,
    HostCpu,
    LimitsCheck,
    Machine,
    RunInfo,
    RunTarget,
    Scenario1Facts,
    ScenarioGap,
    Summary,
    json_object,
    read_json_object,
    read_run_info,
    read_summary,
)
from ._layout import (
    ACCESS_LOG_SUFFIX,
    CPU_SAMPLES_SUFFIX,
    ENDPOINTS,
    EVENTS_SUFFIX,
    LATENCY_HLOG,
    LOG_SUFFIX,
    LOGS,
    REQUESTS,
    RESULT_FILES,
    RUN_INFO,
    SUMMARY,
    TIMELINE,
    access_log_path,
    cpu_samples_path,
    events_path,
    log_path,
    new_run_id,
    run_folder,
)
from ._percentile import percentile
from ._read import (
    SCHEMA_VERSION,
    TIMELINE_COLUMNS,
    RecordReader,
    Timeline,
    read_timeline,
)
from ._record import ERROR_KINDS, Record, record_problem
from ._run_file import (
    MERGE_COPIED,
    MergedRunFile,
    MergedSource,
    RunFile,
    SweepRunFile,
    SweepTarget,
    write_run_file,
)
from ._scenario1_figures import BisectedBracket, EvictionBracket, IdleGap, Scenario1Figures
from ._summary_figures import (
    ColdStartFigures,
    GeneratorFigures,
    HitsPerSecond,
    HostCpuFigures,
    InitFigures,
    LatencyFigures,
    LoopLag,
    RequestTotals,
    StageRow,
    hits_per_s_figures,
)
from ._summary_file import RunSummary, SummaryExtra, SweepSummary, write_summary

__all__ = [
    "ACCESS_LOG_SUFFIX",
    "CPU_SAMPLES_SUFFIX",
    "ENDPOINTS",
    "ERROR_KINDS",
    "EVENTS_SUFFIX",
    "LATENCY_HLOG",
    "LOGS",
    "LOG_SUFFIX",
    "MERGE_COPIED",
    "REQUESTS",
    "RESULT_FILES",
    "RUN_INFO",
    "SCHEMA_VERSION",
    "SUMMARY",
    "TIMELINE",
    "TIMELINE_COLUMNS",
    "AccessEntry",
    "BisectedBracket",
    "Bracket",
    "ColdStartFigures",
    "CpuSample",
    "DependencyFolder",
    "Endpoints",
    "EndpointsFile",
    "EvictionBracket",
    "GeneratorCheck",
    "GeneratorFigures",
    "HitsPerSecond",
    "HostCpu",
    "HostCpuFigures",
    "HostedStack",
    "IdleGap",
    "InitCpuModel",
    "InitFigures",
    "LatencyFigures",
    "LimitsCheck",
    "LoopLag",
    "Machine",
    "MemoryLimitModel",
    "MergedRunFile",
    "MergedSource",
    "PackageFacts",
    "PythonInstances",
    "Record",
    "RecordReader",
    "RequestSet",
    "RequestTotals",
    "ResultsError",
    "RunFile",
    "RunInfo",
    "RunSummary",
    "RunTarget",
    "Scenario1Facts",
    "Scenario1Figures",
    "ScenarioGap",
    "StackEndpoint",
    "StackLimits",
    "StageRow",
    "Summary",
    "SummaryExtra",
    "SweepRunFile",
    "SweepSummary",
    "SweepTarget",
    "Timeline",
    "WorkerStack",
    "access_log_path",
    "cpu_samples_path",
    "events_path",
    "hits_per_s_figures",
    "json_object",
    "log_path",
    "new_run_id",
    "percentile",
    "read_access_log",
    "read_cpu_samples",
    "read_endpoints",
    "read_json_object",
    "read_run_info",
    "read_summary",
    "read_timeline",
    "record_problem",
    "run_folder",
    "write_endpoints",
    "write_json_atomic",
    "write_run_file",
    "write_summary",
    "write_text_atomic",
]
