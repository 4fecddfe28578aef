"""The archives of the real runtimes: exactly what each needs, within its size budget, and
serving from the unpacked archive alone (a clean interpreter or JVM, no repository on the
path), with the environment ``model_env`` gives Lambda."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from stack import Package, StackSettings, build_package

from ..support.lambda_python import PYTHON_CHECK, lambda_env, predict_event
from ..support.paths import HTTP_VECTORS, JAVA_RUNTIME, PYTHON_RUNTIME, REPO
from ..support.stacks import write_artifact

# Package budgets of the functions, without the model.
PYTHON_BUDGET_BYTES = 64 * 1024
JAVA_BUDGET_BYTES = 128 * 1024
TOLERANCE = 1e-6

needs_python_runtime = pytest.mark.skipif(
    not (PYTHON_RUNTIME / "app.py").is_file(), reason="runtime/python/app.py is not in this tree"
)
needs_java_runtime = pytest.mark.skipif(
    not (JAVA_RUNTIME / "build.py").is_file() or shutil.which("javac") is None,
    reason="runtime/java/build.py or a JDK (javac) is absent",
)
needs_vectors = pytest.mark.skipif(
    not HTTP_VECTORS.is_file(), reason="tests/vectors/http.json is not in this tree"
)


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return dict(json.loads(HTTP_VECTORS.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, vectors: dict[str, Any]) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("real")
    artifact = write_artifact(base / "model.zip", vectors["model"])
    return {"artifact": artifact, "out": base / "packages"}


def package(built: dict[str, Any], language: str, strategy: str) -> tuple[StackSettings, Package]:
    settings = StackSettings(
        name=f"{language}-512", language=language, memory_mb=512, model_strategy=strategy
    )
    return settings, build_package(
        settings, artifact=built["artifact"], out_dir=built["out"], root=REPO
    )


def unpack(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
    return into


def check_predictions(response: dict[str, Any], vectors: dict[str, Any]) -> None:
    assert response["statusCode"] == 200, response
    body = json.loads(response["body"])
    assert body["model_version"] == vectors["model"]["model_version"]
    expected = [case["probability"] for case in vectors["cases"]]
    got = [prediction["probability"] for prediction in body["predictions"]]
    assert got == pytest.approx(expected, abs=TOLERANCE)


def run_python_archive(
    settings: StackSettings, built_package: Package, tmp_path: Path, event: dict[str, Any]
) -> dict[str, Any]:
    task_root = unpack(built_package.code_zip, tmp_path / "task")
    opt = tmp_path / "opt"
    if built_package.layer_zip is not None:
        unpack(built_package.layer_zip, opt)
    result = subprocess.run(
        # -I: no user site, no PYTHON* variables, no script directory: only the archive.
        [sys.executable, "-I", "-c", PYTHON_CHECK],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=task_root,
        env=lambda_env(settings, built_package.model_version, task_root, opt),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@needs_python_runtime
@needs_vectors
def test_python_archive_is_the_flat_handler_and_the_model(built: dict[str, Any]) -> None:
    _, bundled = package(built, "python", "bundled")
    with zipfile.ZipFile(bundled.code_zip) as archive:
        names = sorted(archive.namelist())
    modules = sorted(path.name for path in PYTHON_RUNTIME.glob("*.py"))
    assert names == sorted([*modules, "model.zip"])
    assert "app.py" in names and not any("/" in name for name in names)


@needs_python_runtime
@needs_vectors
@pytest.mark.parametrize("strategy", ["bundled", "layer"])
def test_python_archive_serves_from_a_clean_interpreter(
    built: dict[str, Any], vectors: dict[str, Any], tmp_path: Path, strategy: str
) -> None:
    settings, built_package = package(built, "python", strategy)
    event = predict_event([case["instance"] for case in vectors["cases"]])
    check_predictions(run_python_archive(settings, built_package, tmp_path, event), vectors)


@needs_python_runtime
@needs_vectors
def test_python_archive_within_budget(built: dict[str, Any]) -> None:
    _, code_only = package(built, "python", "s3")
    assert code_only.size_bytes <= PYTHON_BUDGET_BYTES, code_only.size_bytes


@pytest.mark.java
@needs_java_runtime
@needs_vectors
def test_java_archive_is_the_compiled_classes_and_the_model(
    built: dict[str, Any], tmp_path: Path
) -> None:
    _, bundled = package(built, "java", "bundled")
    with zipfile.ZipFile(bundled.code_zip) as archive:
        names = set(archive.namelist())
    # What the build step itself produces, compiled separately: the archive holds that, no
    # test harness, no sources, plus the model.
    direct = tmp_path / "direct"
    subprocess.run(
        [sys.executable, str(JAVA_RUNTIME / "build.py"), "--out", str(direct)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    classes = {p.relative_to(direct).as_posix() for p in direct.rglob("*.class")}
    assert names == classes | {"model.zip"}
    assert "predictor/Handler.class" in names
    assert not any(name.endswith(".java") or "Harness" in name for name in names)
    # The runtime's Context interface is compiled against, never shipped (the runtime has it).
    assert not any(name.startswith("com/") for name in names)


@pytest.mark.java
@needs_java_runtime
@needs_vectors
def test_java_archive_within_budget(built: dict[str, Any]) -> None:
    _, code_only = package(built, "java", "s3")
    assert code_only.size_bytes <= JAVA_BUDGET_BYTES, code_only.size_bytes


JAVA_CHECK = textwrap.dedent(
    """
    import com.amazonaws.services.lambda.runtime.Context;
    import java.io.ByteArrayInputStream;
    import java.io.ByteArrayOutputStream;
    import java.io.File;
    import java.io.InputStream;
    import java.io.OutputStream;
    import java.lang.reflect.Method;
    import java.net.URL;
    import java.net.URLClassLoader;
    import java.nio.charset.StandardCharsets;

    // Loads the handler the way AWS's managed runtime does: the runtime's Context interface on
    // the JVM's class path, the archive in a child class loader, the method chosen by name and
    // by its parameter types (a third parameter counts only if it is exactly Context).
    public class Check {
        static final class Invocation implements Context {
            private final String id;
            Invocation(String id) { this.id = id; }
            public String getAwsRequestId() { return id; }
        }

        public static void main(String[] args) throws Exception {
            URL taskRoot = new File(args[0]).toURI().toURL();
            ClassLoader customer =
                new URLClassLoader(new URL[] {taskRoot}, ClassLoader.getSystemClassLoader());
            Class<?> type = Class.forName("predictor.Handler", true, customer);
            Object handler = type.getConstructor().newInstance();
            Method chosen = null;
            for (Method m : type.getMethods()) {
                Class<?>[] p = m.getParameterTypes();
                if (m.getName().equals("handleRequest") && p.length == 3
                        && p[0] == InputStream.class && p[1] == OutputStream.class
                        && p[2] == Context.class) {
                    chosen = m;
                }
            }
            if (chosen == null) {
                throw new IllegalStateException(
                    "no handleRequest(InputStream, OutputStream, Context)");
            }
            byte[] event = System.in.readAllBytes();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            chosen.invoke(handler, new ByteArrayInputStream(event), out, new Invocation(args[1]));
            System.out.print(out.toString(StandardCharsets.UTF_8));
        }
    }
    """
)


@pytest.mark.java
@needs_java_runtime
@needs_vectors
@pytest.mark.parametrize("strategy", ["bundled", "layer"])
def test_java_archive_serves_from_its_classes_alone(
    built: dict[str, Any], vectors: dict[str, Any], tmp_path: Path, strategy: str
) -> None:
    settings, built_package = package(built, "java", strategy)
    task_root = unpack(built_package.code_zip, tmp_path / "task")
    opt = tmp_path / "opt"
    if built_package.layer_zip is not None:
        unpack(built_package.layer_zip, opt)
    # The runtime's Context interface, as the managed runtime has it on its class path; the
    # archive itself holds no com/amazonaws class.
    assert not any(p.is_relative_to(task_root / "com") for p in task_root.rglob("*"))
    provided = tmp_path / "provided"
    subprocess.run(
        [sys.executable, str(JAVA_RUNTIME / "build.py"), "--out", str(tmp_path / "unused"),
         "--provided", str(provided)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    check = tmp_path / "Check.java"
    check.write_text(JAVA_CHECK, encoding="utf-8")
    java = shutil.which("java")
    assert java is not None
    event = predict_event([case["instance"] for case in vectors["cases"]])
    result = subprocess.run(
        [java, "-cp", str(provided), str(check), str(task_root), "lambda-req-42"],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=task_root,
        env=lambda_env(settings, built_package.model_version, task_root, opt),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    check_predictions(response, vectors)
    # The Lambda request id, not API Gateway's ("api-1"): client records join REPORT lines.
    assert response["headers"]["x-request-id"] == "lambda-req-42"
