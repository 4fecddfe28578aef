"""A team's own function (a ``function`` stack) hosted by the emulator: its package, its
requirements built for the host, its routes; a handler that cannot be loaded answers as Lambda
does (the init error in the log, the gateway's 500)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator._stacks import spec_from_function_stack
from stack import load_stack_file
from stack._functionpackage import build_function_package, host_dependencies

from ..support.function_stacks import offline_requirements, write_function, write_wheel
from ..support.paths import REPO

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

USES_DEPENDENCY = """\
import json
import tinydep

def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"value": tinydep.VALUE,
                                                   "path": event["rawPath"]})}
"""


def _spec(tmp_path: Path, **kwargs: Any) -> Any:
    write_wheel(tmp_path / "index")
    settings = load_stack_file(
        write_function(
            tmp_path, requirements=offline_requirements(tmp_path / "index", "tinydep"), **kwargs
        )
    )
    package = build_function_package(settings, root=tmp_path)
    return spec_from_function_stack(settings, package, host_dependencies(settings, root=tmp_path))


async def test_the_function_answers_with_its_dependency_from_the_host_tree(
    tmp_path: Path, emulator_at: Callable[..., Any]
) -> None:
    spec = _spec(
        tmp_path,
        source=USES_DEPENDENCY,
        extra="  lambda-model-study:routes: GET /echo,POST /echo\n",
    )
    assert spec.kind == "function" and spec.routes == ("GET /echo", "POST /echo")
    async with emulator_at([spec]) as running, httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{running.url('echo')}/echo")
        other = await client.get(f"{running.url('echo')}/elsewhere")
    assert answer.status_code == 200
    assert answer.json() == {"value": 42, "path": "/echo"}
    assert other.status_code == 404  # a route the stack does not declare: the gateway's
    assert any(r.init_duration_ms is not None for r in running.reports("echo"))


async def test_a_handler_that_fails_to_import_answers_as_lambda_does(
    tmp_path: Path, emulator_at: Callable[..., Any]
) -> None:
    # Statically fine (the file and the function exist); its import fails at init.
    spec = _spec(
        tmp_path,
        source="import not_installed_anywhere\n\ndef lambda_handler(e, c):\n    return {}\n",
    )
    async with emulator_at([spec]) as running, httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{running.url('echo')}/echo")
        log = running.log_text("echo")
    assert answer.status_code == 500
    assert answer.json() == {"message": "Internal Server Error"}
    assert "Runtime.ImportModuleError" in log


JAVA_ECHO = """\
package example;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

public class Echo {
    public void handleRequest(InputStream in, OutputStream out) throws Exception {
        String event = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        String answer = "{\\"statusCode\\":200,\\"body\\":\\"" + event.length()
            + "\\"}";
        out.write(answer.getBytes(StandardCharsets.UTF_8));
    }
}
"""


@pytest.fixture
def echo_jar(tmp_path: Path) -> Path:
    """A fat jar's shape: the handler's classes at the root (Lambda unpacks it as a zip)."""
    import shutil
    import subprocess
    import zipfile

    javac = shutil.which("javac")
    if javac is None or shutil.which("java") is None:
        pytest.skip("no JDK (javac/java) on this machine: install openjdk-17-jdk-headless")
    source = tmp_path / "src" / "example" / "Echo.java"
    source.parent.mkdir(parents=True)
    source.write_text(JAVA_ECHO)
    classes = tmp_path / "classes"
    subprocess.run([javac, "--release", "17", "-d", str(classes), str(source)], check=True)
    jar = tmp_path / "echo.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        archive.write(classes / "example" / "Echo.class", "example/Echo.class")
    return jar


@pytest.mark.java
async def test_a_java_function_from_its_jar_answers(
    tmp_path: Path, echo_jar: Path, emulator_at: Callable[..., Any]
) -> None:
    (tmp_path / "requests.json").write_text('{"method": "GET", "path": "/any"}')
    stack_file = tmp_path / "Pulumi.jecho.yaml"
    stack_file.write_text(
        "config:\n  lambda-model-study:kind: function\n  lambda-model-study:code: echo.jar\n"
        "  lambda-model-study:handler: example.Echo::handleRequest\n"
        "  lambda-model-study:runtime: java21\n  lambda-model-study:memory_mb: 512\n"
        "  lambda-model-study:requests: requests.json\n"
        "  lambda-model-study:authorization: none\n"
    )
    settings = load_stack_file(stack_file)
    assert settings.language == "java"
    package = build_function_package(settings, root=tmp_path)
    spec = spec_from_function_stack(settings, package, None)
    async with emulator_at([spec]) as running, httpx.AsyncClient(timeout=60) as client:
        answer = await client.get(f"{running.url('jecho')}/any")
    assert answer.status_code == 200 and int(answer.text) > 100  # the event's length


def test_a_java_handler_class_missing_from_the_jar_is_one_line(tmp_path: Path) -> None:
    import zipfile

    from stack import SettingsError

    with zipfile.ZipFile(tmp_path / "fn.jar", "w") as archive:
        archive.writestr("example/Other.class", b"\xca\xfe\xba\xbe")
    (tmp_path / "requests.json").write_text('{"path": "/"}')
    stack_file = tmp_path / "Pulumi.j.yaml"
    stack_file.write_text(
        "config:\n  lambda-model-study:kind: function\n  lambda-model-study:code: fn.jar\n"
        "  lambda-model-study:handler: example.Echo::handleRequest\n"
        "  lambda-model-study:runtime: java17\n  lambda-model-study:memory_mb: 512\n"
        "  lambda-model-study:requests: requests.json\n"
    )
    with pytest.raises(SettingsError) as caught:
        load_stack_file(stack_file)
    assert caught.value.problems == [
        (
            f"lambda-model-study:handler 'example.Echo::handleRequest': {tmp_path / 'fn.jar'} "
            "holds "
            "no example/Echo.class; give the class of your handler (pkg.Class::method) or build "
            "the "
            "jar with it"
        )
    ]


JAVA_TYPED = """\
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

public class Typed implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("statusCode", 200);
        answer.put("body", "path=" + event.get("rawPath") + " id=" + context.getAwsRequestId());
        return answer;
    }
}
"""
JAVA_POJO = """\
package example;

public class Pojo {
    public static class Event {
        private String rawPath;
        public void setRawPath(String rawPath) { this.rawPath = rawPath; }
        public String getRawPath() { return rawPath; }
    }

    public static class Answer {
        public int statusCode = 201;
        public String body;
    }

    public Answer handle(Event event) {
        Answer answer = new Answer();
        answer.body = "pojo " + event.getRawPath();
        return answer;
    }
}
"""


@pytest.fixture
def typed_jar(tmp_path: Path) -> Path:
    """A jar built against the runtime library's interfaces (our copies stand in for the
    aws-lambda-java-core jar a build would bring), which it does not bundle."""
    import shutil
    import subprocess
    import zipfile

    javac = shutil.which("javac")
    if javac is None or shutil.which("java") is None:
        pytest.skip("no JDK (javac/java) on this machine: install openjdk-17-jdk-headless")
    sources = tmp_path / "src" / "example"
    sources.mkdir(parents=True)
    (sources / "Typed.java").write_text(JAVA_TYPED)
    (sources / "Pojo.java").write_text(JAVA_POJO)
    classes = tmp_path / "classes"
    subprocess.run(
        [
            javac,
            "--release",
            "17",
            "-implicit:none",
            "-sourcepath",
            str(REPO / "emulator" / "java"),
            "-d",
            str(classes),
            str(sources / "Typed.java"),
            str(sources / "Pojo.java"),
        ],
        check=True,
    )
    jar = tmp_path / "typed.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        for path in sorted(classes.rglob("*.class")):
            archive.write(path, path.relative_to(classes).as_posix())
    return jar


def _java_stack(root: Path, name: str, handler: str) -> Path:
    (root / "requests.json").write_text('{"method": "GET", "path": "/any"}')
    stack_file = root / f"Pulumi.{name}.yaml"
    stack_file.write_text(
        "config:\n  lambda-model-study:kind: function\n  lambda-model-study:code: typed.jar\n"
        f"  lambda-model-study:handler: {handler}\n"
        "  lambda-model-study:runtime: java21\n  lambda-model-study:memory_mb: 512\n"
        "  lambda-model-study:requests: requests.json\n"
        "  lambda-model-study:authorization: none\n"
    )
    return stack_file


@pytest.mark.java
async def test_java_request_handler_and_pojo_handlers_answer(
    tmp_path: Path, typed_jar: Path, emulator_at: Callable[..., Any]
) -> None:
    specs = []
    for name, handler in (
        ("typed", "example.Typed::handleRequest"),
        ("pojo", "example.Pojo::handle"),
    ):
        settings = load_stack_file(_java_stack(tmp_path, name, handler))
        specs.append(
            spec_from_function_stack(
                settings, build_function_package(settings, root=tmp_path), None
            )
        )
    async with emulator_at(specs) as running, httpx.AsyncClient(timeout=60) as client:
        typed = await client.get(f"{running.url('typed')}/any")
        pojo = await client.get(f"{running.url('pojo')}/x/y")
    assert typed.status_code == 200 and typed.text.startswith("path=/any id=")
    assert (pojo.status_code, pojo.text) == (201, "pojo /x/y")
