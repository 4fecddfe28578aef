"""Packages of the framework model runtimes, with stand-in runtimes and a stand-in dependency
tree in the cache (no pip, no network): what a litert zip holds and leaves out, the limits it is
checked against, the tensorflow image context, and their failures. The real wheels are
installed from PyPI in test_frameworks_real.py."""

from __future__ import annotations

import hashlib
import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

import stack._archive
from contract import UNZIPPED_BYTES_MAX
from stack import PackageError, StackSettings, build_package
from stack._frameworks import DependencyTarget, dependency_dir, framework_requirements

from ..support.stacks import seed_dependencies, write_exports


def framework_settings(
    model_runtime: str, strategy: str = "bundled", architecture: str = "x86_64"
) -> StackSettings:
    return StackSettings(
        name=f"python-{model_runtime}", language="python", memory_mb=1024,
        model_runtime=model_runtime, model_strategy=strategy, architecture=architecture,
    )  # fmt: skip


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def context_files(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_the_target_is_lambdas_python_and_platform() -> None:
    target = DependencyTarget.for_lambda("python3.12", "x86_64")
    assert target.python_version == "3.12"
    # Amazon Linux 2023's glibc is 2.34: every manylinux wheel up to it, newest first.
    assert target.platforms[0] == "manylinux_2_34_x86_64"
    assert target.platforms[-2:] == ("manylinux_2_17_x86_64", "manylinux2014_x86_64")
    arm = DependencyTarget.for_lambda("python3.13", "arm64")
    assert arm.python_version == "3.13" and arm.platforms[0] == "manylinux_2_34_aarch64"
    assert all(platform.endswith("_aarch64") for platform in arm.platforms)
    options = target.pip_options()
    assert options[:5] == [
        "--only-binary=:all:", "--implementation", "cp", "--python-version", "3.12",
    ]  # fmt: skip
    assert options.count("--platform") == len(target.platforms)


def test_a_local_host_installs_for_its_own_interpreter(tmp_path: Path) -> None:
    host = DependencyTarget.for_host()
    assert host.python_version == "{}.{}".format(*sys.version_info[:2])
    # No --platform: pip picks this machine's wheels; a separate cache entry from Lambda's.
    assert host.pip_options() == ["--only-binary=:all:"]
    requirements = ("numpy<3,>=1.26",)
    lambda_dir = dependency_dir(requirements, DependencyTarget.for_lambda("python3.12", "x86_64"),
                                tmp_path)  # fmt: skip
    host_dir = dependency_dir(requirements, host, tmp_path)
    assert host_dir.name.startswith(f"py{host.python_version}-host-") and host_dir != lambda_dir


def test_pins_come_from_pyproject(fake_root: Path) -> None:
    pyproject = (fake_root / "pyproject.toml").read_text()
    litert = framework_requirements("litert", "x86_64", fake_root)
    assert litert[0].startswith("ai-edge-litert") and litert[1].startswith("numpy")
    assert all(f'"{pin}"' in pyproject for pin in litert)
    tensorflow = framework_requirements("tensorflow", "x86_64", fake_root)
    assert tensorflow[0].startswith("tensorflow-cpu") and f'"{tensorflow[0]}"' in pyproject
    # tensorflow-cpu has no aarch64 wheels; `tensorflow` is the CPU build there, same pin.
    arm = framework_requirements("tensorflow", "arm64", fake_root)
    assert arm[0] == "tensorflow" + tensorflow[0].removeprefix("tensorflow-cpu")


def test_missing_pins_say_what_to_restore(fake_root: Path, artifact: Path, tmp_path: Path) -> None:
    write_exports(artifact)
    (fake_root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(PackageError, match="cannot read the 'frameworks' extra") as raised:
        build_package(framework_settings("litert"), artifact=artifact, root=fake_root,
                      out_dir=tmp_path)  # fmt: skip
    assert "restore pyproject.toml" in str(raised.value)


def test_a_litert_zip_holds_function_model_export_and_wheels(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    tflite, _ = write_exports(artifact)
    settings = framework_settings("litert")
    tree = seed_dependencies(fake_root, settings)
    package = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "o")
    assert package.dependencies == tree
    files = entries(package.code_zip)
    assert files["model.zip"] == artifact.read_bytes()
    assert files["model.tflite"] == tflite.read_bytes()
    assert files["app.py"] == (fake_root / "runtime" / "python" / "app.py").read_bytes()
    # The wheels' modules at the archive's root (on the function's path); no bytecode, tests,
    # console scripts or GPU accelerator.
    assert sorted(files) == [
        "ai_edge_litert/interpreter.py", "app.py", "model.py", "model.tflite", "model.zip",
        "numpy/__init__.py",
    ]  # fmt: skip
    assert package.model_runtime == "litert" and not package.is_image
    assert package.requirements == framework_requirements("litert", "x86_64", fake_root)
    assert package.code_zip.name.startswith("python-bundled-litert-x86_64-")
    assert package.unzipped_bytes == sum(map(len, files.values()))


def test_an_onnx_zip_holds_function_model_export_and_wheels_without_ort_tools(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    write_exports(artifact)
    onnx = artifact.with_suffix(".onnx")
    settings = framework_settings("onnx")
    tree = seed_dependencies(fake_root, settings)
    package = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "o")
    assert package.dependencies == tree
    assert package.requirements == framework_requirements("onnx", "x86_64", fake_root)
    assert package.requirements[0].startswith("onnxruntime")
    assert package.requirements[1].startswith("numpy")
    files = entries(package.code_zip)
    assert files["model.zip"] == artifact.read_bytes()
    assert files["model.onnx"] == onnx.read_bytes()
    assert "model.tflite" not in files and "model.keras" not in files
    # onnxruntime's binding stays; its C API library and offline tools are left out.
    assert sorted(name for name in files if name.startswith("onnxruntime/")) == [
        "onnxruntime/__init__.py",
        "onnxruntime/capi/onnxruntime_pybind11_state.cpython-312-x86_64-linux-gnu.so",
    ]
    assert package.model_runtime == "onnx" and not package.is_image
    assert package.code_zip.name.startswith("python-bundled-onnx-x86_64-")
    assert package.unzipped_bytes == sum(map(len, files.values()))


def test_an_onnx_layer_holds_the_export_beside_the_model(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    write_exports(artifact)
    settings = framework_settings("onnx", "layer")
    seed_dependencies(fake_root, settings)
    package = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert package.layer_zip is not None
    assert entries(package.layer_zip) == {
        "model.zip": artifact.read_bytes(),
        "model.onnx": artifact.with_suffix(".onnx").read_bytes(),
    }
    assert "onnxruntime/__init__.py" in entries(package.code_zip)


def test_an_onnx_stack_without_its_export_says_how_to_make_it(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    settings = framework_settings("onnx")
    seed_dependencies(fake_root, settings)
    with pytest.raises(PackageError, match=r"model\.onnx") as raised:
        build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert "python -m model export" in str(raised.value)


def test_a_dependency_that_would_replace_a_file_of_the_function_is_refused(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    write_exports(artifact)
    settings = framework_settings("litert")
    tree = seed_dependencies(fake_root, settings)
    (tree / "app.py").write_text("HANDLER = 'not the function'\n")  # a wheel's top-level module
    with pytest.raises(PackageError) as raised:
        build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "o")
    assert str(raised.value).startswith(
        f"stack {settings.name}: the function's app.py would be overwritten by a file of its "
        "dependencies ("
    )
    assert str(raised.value).endswith("rename the module in runtime/python/")


def test_a_litert_zip_is_deterministic_and_built_from_the_cache(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    write_exports(artifact)
    settings = framework_settings("litert")
    seed_dependencies(fake_root, settings)
    first = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "a")
    second = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "b")
    assert first.code_zip.read_bytes() == second.code_zip.read_bytes()
    assert first.code_sha256_b64 == second.code_sha256_b64
    with zipfile.ZipFile(first.code_zip) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_a_litert_layer_holds_the_export_beside_the_model(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    tflite, _ = write_exports(artifact)
    settings = framework_settings("litert", "layer")
    seed_dependencies(fake_root, settings)
    package = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert package.layer_zip is not None
    assert entries(package.layer_zip) == {
        "model.zip": artifact.read_bytes(), "model.tflite": tflite.read_bytes(),
    }  # fmt: skip
    assert not {"model.zip", "model.tflite"} & set(entries(package.code_zip))


def test_wheels_over_250_mb_unzipped_are_refused_at_build_time(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    write_exports(artifact)
    settings = framework_settings("litert")
    tree = seed_dependencies(fake_root, settings)
    # Sparse: 250 MB of zeros without writing them.
    with (tree / "numpy" / "huge.so").open("wb") as handle:
        handle.truncate(UNZIPPED_BYTES_MAX + 1)
    with pytest.raises(PackageError) as raised:
        build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "out")
    message = str(raised.value)
    assert "over Lambda's 250.0 MB unzipped limit" in message
    assert "the litert runtime's dependencies are too large for a zip" in message
    assert not any((tmp_path / "out").glob("*.zip"))


@pytest.mark.parametrize("model_runtime", ["litert", "tensorflow"])
def test_a_missing_export_says_what_to_run(
    fake_root: Path, artifact: Path, tmp_path: Path, model_runtime: str
) -> None:
    with pytest.raises(PackageError) as raised:
        build_package(framework_settings(model_runtime), artifact=artifact, root=fake_root,
                      out_dir=tmp_path)  # fmt: skip
    message = str(raised.value)
    assert f"python -m model export {artifact}" in message
    assert len(message.splitlines()) == 1


def test_pip_failing_is_one_clear_error(
    fake_root: Path, artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An index with nothing in it: pip cannot find the pinned wheels.
    write_exports(artifact)
    empty = tmp_path / "index"
    empty.mkdir()
    monkeypatch.setenv("PIP_INDEX_URL", empty.as_uri())
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_NO_INDEX", "0")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    with pytest.raises(PackageError) as raised:
        build_package(framework_settings("litert"), artifact=artifact, root=fake_root,
                      out_dir=tmp_path / "o")  # fmt: skip
    message = str(raised.value)
    assert message.startswith("pip could not install ai-edge-litert")
    assert "for CPython 3.12 on manylinux_2_34_x86_64" in message
    assert not any((fake_root / "build" / "deps").glob("py*"))


def test_a_tensorflow_package_is_an_image_context(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    _, keras = write_exports(artifact)
    package = build_package(framework_settings("tensorflow"), artifact=artifact, root=fake_root,
                            out_dir=tmp_path / "o")  # fmt: skip
    assert package.is_image and package.image_context is not None
    files = context_files(package.image_context)
    assert sorted(files) == [
        "Dockerfile", "function/app.py", "function/model.keras", "function/model.py",
        "function/model.zip", "requirements.txt",
    ]  # fmt: skip
    assert files["function/model.keras"] == keras.read_bytes()
    requirements = framework_requirements("tensorflow", "x86_64", fake_root)
    assert files["requirements.txt"].decode().splitlines() == list(requirements)
    dockerfile = files["Dockerfile"].decode()
    assert "FROM public.ecr.aws/lambda/python:3.12-x86_64\n" in dockerfile
    assert "-r /tmp/requirements.txt" in dockerfile
    assert '--target "${LAMBDA_TASK_ROOT}"' in dockerfile
    assert "COPY function/ ${LAMBDA_TASK_ROOT}/\n" in dockerfile
    assert dockerfile.endswith('CMD ["app.handler"]\n')
    # The zip beside it holds function/ alone (a host brings TensorFlow from the requirements).
    assert entries(package.code_zip) == {
        name.removeprefix("function/"): data
        for name, data in files.items()
        if name.startswith("function/")
    }
    assert package.requirements == requirements


def test_an_image_context_is_deterministic_and_named_by_its_content(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    _, keras = write_exports(artifact)
    settings = framework_settings("tensorflow")
    first = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "a")
    second = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "b")
    assert first.image_context is not None and second.image_context is not None
    assert first.image_context.name == second.image_context.name
    assert context_files(first.image_context) == context_files(second.image_context)
    assert first.image_tag is not None and first.image_context.name.endswith(first.image_tag)
    # Another model gives another context, and another tag (so the stack deploys it).
    keras.write_bytes(b"another export")
    third = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path / "a")
    assert third.image_tag != first.image_tag
    assert third.image_context is not None and first.image_context.is_dir()
    digest = hashlib.sha256(b"another export").hexdigest()
    assert (
        hashlib.sha256((third.image_context / "function" / "model.keras").read_bytes()).hexdigest()
        == digest
    )


def test_a_litert_zip_is_not_compressed_again_for_the_same_files(
    fake_root: Path, artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(artifact)
    settings = framework_settings("litert")
    seed_dependencies(fake_root, settings)
    first = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path)
    data = first.code_zip.read_bytes()

    def refuse(files: object) -> bytes:
        raise AssertionError("compressed again")

    with monkeypatch.context() as patch:
        patch.setattr(stack._archive, "zip_bytes", refuse)
        again = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert again == first
    # Without its archive, the record is not trusted: the same bytes are made again.
    first.code_zip.unlink()
    rebuilt = build_package(settings, artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert rebuilt.code_zip.read_bytes() == data and rebuilt == first


def test_an_installed_project_takes_its_pins_from_its_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Installed without its source tree: no pyproject.toml, the wheel's Requires-Dist instead.
    lines = [
        'ai-edge-litert<3,>=2.3; extra == "frameworks"',
        'numpy<3,>=1.26; extra == "frameworks"',
        'numpy<3,>=1.26; extra == "train"',
        "PyYAML<7,>=6.0",
    ]
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: lines)
    assert framework_requirements("litert", "x86_64", tmp_path) == (
        "ai-edge-litert<3,>=2.3", "numpy<3,>=1.26",
    )  # fmt: skip
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: ["PyYAML<7,>=6.0"])
    with pytest.raises(PackageError, match="no pins for the 'frameworks' extra"):
        framework_requirements("litert", "x86_64", tmp_path)
