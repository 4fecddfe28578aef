"""The pure parts: API Gateway's event and result rules, REPORT lines, specs, cgroup probing."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import emulator
from contract import DEFAULT_RUNTIMES
from emulator import EmulatorConfigError, EmulatorOptions, FunctionSpec
from emulator.gateway._apigw import (
    MalformedResult,
    TokenBucket,
    build_event,
    event_payload,
    map_result,
    match_route,
    route_path,
)
from emulator.instance._cgroups import (
    CFS_PERIOD_US,
    Cgroups,
    cpu_quota_us,
    instance_cpus,
    lambda_vcpus,
)
from emulator.logs._report_writer import billed_duration_ms, end_line, report_line, start_line
from report._reportline import parse_report_line


def test_public_surface_is_sorted_and_importable() -> None:
    assert emulator.__all__ == sorted(emulator.__all__)
    for name in emulator.__all__:
        assert getattr(emulator, name) is not None


def _event(**kw: object) -> dict[str, object]:
    args: dict[str, object] = {
        "method": "POST",
        "raw_path": "/predict",
        "raw_query": "a=1&a=2&b=x%20y",
        "headers": [("Content-Type", "application/json"), ("X-Dup", "1"), ("x-dup", "2"),
                 ("Cookie", "s=1; t=2"), ("User-Agent", "ua")],
        "body": b'{"instances": []}',
        "source_ip": "127.0.0.1",
        "route_key": "POST /predict",
        "request_id": "abc=",
        "api_id": "api",
        "host": "127.0.0.1:9000",
        "now_s": 1_700_000_000.25,
    }
    args.update(kw)
    return build_event(**args)  # type: ignore[arg-type]


def test_event_has_the_payload_2_0_shape() -> None:
    event = _event()
    assert event["version"] == "2.0" and event["routeKey"] == "POST /predict"
    assert event["rawPath"] == "/predict" and event["rawQueryString"] == "a=1&a=2&b=x%20y"
    headers = event["headers"]
    assert isinstance(headers, dict)
    assert headers["content-type"] == "application/json"
    assert headers["x-dup"] == "1,2", "duplicate headers are comma-joined"
    assert "cookie" not in headers and event["cookies"] == ["s=1", "t=2"]
    assert all(k == k.lower() for k in headers)
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    ctx = event["requestContext"]
    assert isinstance(ctx, dict)
    assert ctx["http"] == {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1",
                           "sourceIp": "127.0.0.1", "userAgent": "ua"}
    assert ctx["requestId"] == "abc=" and ctx["stage"] == "$default"
    assert ctx["timeEpoch"] == 1_700_000_000_250
    assert event["body"] == '{"instances": []}' and event["isBase64Encoded"] is False


def test_binary_body_is_base64_and_no_body_means_no_body_field() -> None:
    raw = bytes(range(256))
    event = _event(headers=[("content-type", "application/octet-stream")], body=raw)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == raw
    empty = _event(method="GET", raw_query="", body=b"")
    assert "body" not in empty and "queryStringParameters" not in empty
    assert empty["isBase64Encoded"] is False


def test_routes_match_method_and_path_or_default() -> None:
    routes = ("POST /predict", "GET /health")
    assert match_route(routes, "POST", "/predict") == "POST /predict"
    assert match_route(routes, "GET", "/predict") is None
    assert match_route(routes, "GET", "/nope") is None
    assert match_route(None, "DELETE", "/anything") == "$default"


def test_route_path_is_the_decoded_path_of_a_target_for_this_api() -> None:
    own = ("127.0.0.1:8000", "localhost:8000")
    assert route_path("/%68ealth?a=%20b", authorities=own) == ("/health", "a=%20b")
    assert route_path("/a%2Fb", authorities=own) == ("/a/b", "")
    assert route_path("http://127.0.0.1:8000/health?x=1", authorities=own) == ("/health", "x=1")
    assert route_path("HTTP://LOCALHOST:8000", authorities=own) == ("/", "")
    for foreign in ("http://evil.example/health", "http://127.0.0.1:9999/health",
                    "//evil.example/health",
                    "*", "/%ff", "ftp://127.0.0.1:8000/health"):
        assert route_path(foreign, authorities=own) is None, foreign


def test_event_payload_is_utf8_json() -> None:
    assert event_payload({"body": "é"}) == '{"body":"é"}'.encode()
    # A header value that was not UTF-8 on the wire stays valid JSON, escaped.
    assert json.loads(event_payload({"h": "\udcff"})) == {"h": "\udcff"}


def test_proxy_result_maps_status_headers_cookies_and_body() -> None:
    payload = json.dumps({
        "statusCode": 201,
        "headers": {"x-a": "1", "x-n": 2, "content-type": "text/plain"},
        "cookies": ["c=1"],
        "body": "hi",
    }).encode()
    response = map_result(payload, "rid=")
    assert response.status == 201 and response.body == b"hi"
    headers = dict(response.headers)
    assert headers[
        "x-a"] == "1" and headers["x-n"] == "2" and headers["content-type"] == "text/plain"
    assert headers["set-cookie"] == "c=1" and headers["apigw-requestid"] == "rid="


def test_base64_proxy_body_is_decoded() -> None:
    payload = json.dumps({"statusCode": 200, "isBase64Encoded": True,
                          "body": base64.b64encode(b"\x00\x01").decode()}).encode()
    assert map_result(payload, "r").body == b"\x00\x01"


@pytest.mark.parametrize(
    "payload, body",
    [
        (b'"Hello from Lambda!"', b"Hello from Lambda!"),
        (b'{ "message": "Hello from Lambda!" }', b'{ "message": "Hello from Lambda!" }'),
        (b"[1,2]", b"[1,2]"),
        (b"42", b"42"),
    ],
)
def test_result_without_status_code_is_a_200_json_body(payload: bytes, body: bytes) -> None:
    # AWS's own examples: a string becomes the body; an object is the body as JSON text.
    response = map_result(payload, "r")
    assert response.status == 200 and response.body == body
    assert dict(response.headers)["content-type"] == "application/json"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"statusCode": "200"}',
        b'{"statusCode": true}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "headers": []}',
        b'{"statusCode": 200, "headers": {"a": {"b": 1}}}',
        b'{"statusCode": 200, "body": {"a": 1}}',
        b'{"statusCode": 200, "cookies": "c=1"}',
        b'{"statusCode": 200, "isBase64Encoded": true, "body": "***"}',
    ],
)
def test_malformed_results_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedResult):
        map_result(payload, "r")


def test_token_bucket_allows_burst_then_rate() -> None:
    bucket = TokenBucket(rate_per_s=2.0, burst=3)
    t0 = bucket._stamp_s
    assert [bucket.take(t0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(t0 + 0.5) is True and bucket.take(t0 + 0.5) is False


def test_report_line_round_trips_through_the_parser() -> None:
    cold = report_line(request_id="r-1", duration_ms=15.744, memory_size_mb=128,
                       max_memory_used_mb=56, init_duration_ms=130.49)
    assert cold == (
        "REPORT RequestId: r-1\tDuration: 15.74 ms\tBilled Duration: 147 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms\t"
    )
    parsed = parse_report_line(cold)
    assert parsed.request_id == "r-1" and parsed.init_duration_ms == 130.49 and parsed.cold_start
    assert (parsed.duration_ms, parsed.billed_duration_ms) == (15.74, 147.0)
    warm = parse_report_line(report_line(request_id="r-2", duration_ms=0.2, memory_size_mb=512,
                                         max_memory_used_mb=40))
    assert warm.init_duration_ms is None and warm.billed_duration_ms == 1.0
    timeout = parse_report_line(report_line(request_id="r-3", duration_ms=3000.0,
                                            memory_size_mb=128,
                                            max_memory_used_mb=30, status="timeout"))
    assert timeout.status == "timeout"
    assert start_line("x") == "START RequestId: x Version: $LATEST"
    assert end_line("x") == "END RequestId: x"


def test_billed_duration_rounds_up_and_includes_init() -> None:
    assert billed_duration_ms(2.0, None) == 2
    assert billed_duration_ms(2.006, None) == 3
    assert billed_duration_ms(0.01, None) == 1
    assert billed_duration_ms(15.74, 130.49) == 147


def test_restore_report_line_has_restore_fields_not_init() -> None:
    line = report_line(request_id="r-4", duration_ms=306.34, memory_size_mb=1024,
                       max_memory_used_mb=155, restore_duration_ms=302.5)
    assert line == (
        "REPORT RequestId: r-4\tDuration: 306.34 ms\tBilled Duration: 610 ms\t"
        "Memory Size: 1024 MB\tMax Memory Used: 155 MB\t"
        "Restore Duration: 302.50 ms\tBilled Restore Duration: 303 ms\t"
    )
    parsed = parse_report_line(line)
    assert parsed.restore and not parsed.cold_start and parsed.init_duration_ms is None
    # AWS's own SnapStart line: Duration 306.34 ms + Billed Restore Duration 303 ms -> 610 ms.
    assert billed_duration_ms(306.34, None, 303) == 610


def test_spec_lists_every_problem(tmp_path: Path) -> None:
    with pytest.raises(EmulatorConfigError) as info:
        FunctionSpec(name="a b", language="go", memory_mb=64, timeout_s=0, handler="x",
                     code_zip=tmp_path / "missing.zip", routes=("predict",))
    message = str(info.value)
    for fragment in ("name", "language", "memory_mb", "timeout_s", "code archive", "route"):
        assert fragment in message


def test_default_runtimes_are_the_stacks_defaults(tmp_path: Path) -> None:
    code = tmp_path / "code.zip"
    code.write_bytes(b"")
    for language, handler in (("java", "a.B::c"), ("python", "app.handler")):
        spec = FunctionSpec(name="f", language=language, memory_mb=512, timeout_s=5,
                            handler=handler,
                            code_zip=code)
        assert spec.runtime == DEFAULT_RUNTIMES[language]


def test_options_are_validated() -> None:
    with pytest.raises(EmulatorConfigError, match="time scale"):
        EmulatorOptions(time_scale=0)
    with pytest.raises(EmulatorConfigError, match="idle policy"):
        EmulatorOptions(idle_policy="lru")


def test_cpu_quota_is_proportional_to_memory() -> None:
    assert cpu_quota_us(1769) == CFS_PERIOD_US == 20_000
    assert cpu_quota_us(512) == round(20_000 * 512 / 1769)
    assert cpu_quota_us(3538) == 40_000
    assert cpu_quota_us(128) >= 1_000


def test_a_directory_that_is_not_a_cgroup_fs_disables_limits(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    cgroups = Cgroups(tmp_path)
    assert not cgroups.support.limited
    assert str(tmp_path) in cgroups.support.reason
    assert cgroups.create("x", 512) is None
    assert not any(p.name.startswith("lambda-emulator") for p in (tmp_path / "cpu").iterdir())


def test_init_cpu_and_model_runtime_are_checked(python_zip: Path) -> None:
    with pytest.raises(EmulatorConfigError, match="init CPU 'fast' must be one of burst, share"):
        EmulatorOptions(init_cpu="fast")
    with pytest.raises(EmulatorConfigError, match="model_runtime 'pytorch' must be one of"):
        FunctionSpec(name="f", language="python", memory_mb=512, timeout_s=3, handler="app.handler",
                     code_zip=python_zip, model_runtime="pytorch")


def test_a_runtime_folder_that_cannot_be_built_says_what_to_install(tmp_path: Path) -> None:
    from emulator.instance._pyruntime import _assemble, distributions_in, runtime_dir

    with pytest.raises(EmulatorConfigError,
                       match=r"no-such-dist is not installed in .*pip install"):
        _assemble(tmp_path / "x", ("no-such-dist",))
    folder = runtime_dir(tmp_path)
    held = distributions_in(folder)
    assert {"awslambdaric", "boto3", "botocore"} <= set(held) and "aiohttp" not in held
    assert (folder / "awslambdaric" / "__init__.py").is_file()
    assert runtime_dir(tmp_path) == folder  # kept: rebuilt only when a version changes


@pytest.mark.parametrize("version", [1, 2])
def test_the_init_burst_ends_by_writing_the_memory_share(tmp_path: Path, version: int) -> None:
    from emulator.instance._cgroups import InstanceCgroup

    cpu_dir = tmp_path / "cpu"
    cpu_dir.mkdir()
    group = InstanceCgroup(version, (cpu_dir,))
    group.set_cpu_quota_us(cpu_quota_us(256))
    assert group.cpu_quota_us() == cpu_quota_us(256)
    written = (cpu_dir / ("cpu.cfs_quota_us" if version == 1 else "cpu.max")).read_text()
    share = cpu_quota_us(256)
    assert written == (str(share) if version == 1 else f"{share} {CFS_PERIOD_US}")


@pytest.mark.parametrize("layout", ["cpu,cpuacct", "cpuacct apart"])
def test_cgroup_v1_counts_the_instances_cpu_time_with_cpuacct(tmp_path: Path, layout: str) -> None:
    # v1's cpu controller counts no CPU time; cpuacct does, mounted with cpu (its files in the
    # cpu directory) or in a hierarchy of its own (a directory of the instance's there too).
    from emulator.instance._cgroups import InstanceCgroup

    cpu_dir, acct_dir, mem_dir = tmp_path / "cpu", tmp_path / "cpuacct", tmp_path / "memory"
    for d in (cpu_dir, acct_dir, mem_dir):
        d.mkdir()
    (cpu_dir / "cpu.stat").write_text("nr_periods 40\nnr_throttled 10\nthrottled_time 250000000\n")
    if layout == "cpu,cpuacct":
        (cpu_dir / "cpuacct.usage").write_text("1500000000\n")
        group = InstanceCgroup(1, (cpu_dir, mem_dir))
    else:
        (acct_dir / "cpuacct.usage").write_text("1500000000\n")
        group = InstanceCgroup(1, (cpu_dir, acct_dir, mem_dir))
    stat = group.cpu_stat()
    assert stat is not None and stat.usage_ms == pytest.approx(1500.0)
    assert (stat.periods, stat.throttled_periods, stat.throttled_ms) == (40, 10, 250.0)
    # without cpuacct the count is unknown, not zero
    assert InstanceCgroup(1, (mem_dir,)).cpu_stat() is None
    (mem_dir / "cpu.stat").write_text("nr_periods 1\n")
    plain = InstanceCgroup(1, (mem_dir,)).cpu_stat()
    assert plain is not None and plain.usage_ms is None


def test_a_worker_stack_is_hosted_with_its_invoke_targets(tmp_path: Path) -> None:
    """The worker stack's ``invoke_targets`` becomes the spec's, which the front doors hold its
    role to (a worker whose role may not invoke a stack gets the gateway's 403)."""
    from emulator._stacks import spec_from_worker_stack
    from stack import load_stack
    from stack._workerpackage import WorkerPackage

    code = tmp_path / "worker.zip"
    code.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    package = WorkerPackage(code_zip=code, code_sha256_b64="",
                            handler="loadgen.workers._handler.handler", size_bytes=22,
                            unzipped_bytes=0, requirements=(), dependencies=tmp_path)
    settings = load_stack("loadgen-workers", Path(__file__).resolve().parents[2])
    spec = spec_from_worker_stack(settings, package)
    assert spec.invoke_targets == settings.target_stacks
    assert "python-512" in spec.invoke_targets and "loadgen-workers" not in spec.invoke_targets


@pytest.mark.parametrize(("memory_mb", "vcpus"), [
    (128, 2), (1769, 2), (3008, 2), (3009, 3), (5307, 3), (5308, 4), (7076, 4), (7077, 5),
    (8845, 5), (8846, 6), (10240, 6),
])
def test_an_instance_sees_the_cpu_count_lambda_shows_at_its_memory(memory_mb: int,
                                                                    vcpus: int) -> None:
    # rwnx/lambda-cpuinfo's thresholds: 2 up to 3,008 MB, then one more per 1,769 MB
    assert lambda_vcpus(memory_mb) == vcpus
    host = frozenset(range(8))
    cpus = instance_cpus(memory_mb, host)
    assert len(cpus) == vcpus and cpus <= host


def test_instance_cpus_stay_within_the_hosts_and_spread_round_it() -> None:
    assert instance_cpus(10240, frozenset({0, 1})) == frozenset({0, 1})
    assert instance_cpus(512, frozenset({4, 5, 6}), turn=2) == frozenset({6, 4})
    assert instance_cpus(512, frozenset(range(8)), turn=0) != instance_cpus(
        512, frozenset(range(8)), turn=1)
