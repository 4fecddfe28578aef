"""A function stack's package: the team's code and its wheels for Lambda's platform, the same
requirements for the host (cached), Lambda's limits, and requirements that do not resolve."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from stack import PackageError, load_stack_file
from stack import _functionpackage as functionpackage
from stack._functionpackage import build_function_package, host_dependencies

from ..support.function_stacks import offline_requirements, write_function, write_wheel


def test_the_zip_holds_the_code_and_the_wheels_installed_for_lambda(tmp_path: Path) -> None:
    write_wheel(tmp_path / "index")
    settings = load_stack_file(
        write_function(tmp_path, requirements=offline_requirements(tmp_path / "index", "tinydep"))
    )
    package = build_function_package(settings, root=tmp_path)
    with zipfile.ZipFile(package.code_zip) as archive:
        names = set(archive.namelist())
    assert {"app.py", "requests.json", "tinydep/__init__.py"} <= names
    assert package.requirements[-1] == "tinydep"
    assert package.handler == "app.lambda_handler"
    assert package.dependencies is not None and "manylinux" in package.dependencies.name
    again = build_function_package(settings, root=tmp_path)
    assert (again.code_zip, again.code_sha256_b64) == (package.code_zip, package.code_sha256_b64)


def test_the_host_gets_the_same_requirements_once(tmp_path: Path) -> None:
    write_wheel(tmp_path / "index")
    settings = load_stack_file(
        write_function(tmp_path, requirements=offline_requirements(tmp_path / "index", "tinydep"))
    )
    tree = host_dependencies(settings, root=tmp_path)
    assert tree is not None and (tree / "tinydep" / "__init__.py").is_file()
    assert "host" in tree.name
    (tree / "marker").write_text("kept")
    assert host_dependencies(settings, root=tmp_path) == tree
    assert (tree / "marker").is_file()  # reused, not installed again


@pytest.mark.parametrize("wheel_tag", ["cp311-cp311-macosx_11_0_arm64", None])
def test_requirements_without_a_wheel_for_lambda_are_one_line(
    tmp_path: Path, wheel_tag: str | None
) -> None:
    index = tmp_path / "index"
    if wheel_tag is None:  # a source distribution only: it would need a compiler
        index.mkdir()
        (index / "tinydep-1.0.tar.gz").write_bytes(b"not really a tarball")
    else:  # a wheel for another platform only
        write_wheel(index, tag=wheel_tag)
    settings = load_stack_file(
        write_function(tmp_path, requirements=offline_requirements(index, "tinydep"))
    )
    out = tmp_path / "build" / "packages"
    with pytest.raises(PackageError) as caught:
        build_function_package(settings, root=tmp_path, out_dir=out)
    message = str(caught.value)
    assert "\n" not in message
    assert "no wheel of tinydep for CPython 3.12 on manylinux_2_34_x86_64" in message
    assert "pin a version" in message
    assert not out.exists()  # nothing built


def test_a_package_over_lambdas_unzipped_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_stack_file(write_function(tmp_path))
    (tmp_path / "echo" / "weights.bin").write_bytes(b"\0" * 4096)
    monkeypatch.setattr(functionpackage, "UNZIPPED_BYTES_MAX", 4000)
    out = tmp_path / "build" / "packages"
    with pytest.raises(PackageError) as caught:
        build_function_package(settings, root=tmp_path, out_dir=out)
    assert "\n" not in str(caught.value)
    assert "over Lambda's 0.0 MB limit" in str(caught.value)
    assert not out.exists()


def test_layers_are_archived_in_order(tmp_path: Path) -> None:
    layer = tmp_path / "layer" / "python"
    layer.mkdir(parents=True)
    (layer / "shared.py").write_text("X = 1\n")
    settings = load_stack_file(
        write_function(tmp_path, extra="  lambda-model-study:layers: layer\n")
    )
    package = build_function_package(settings, root=tmp_path)
    assert len(package.layer_zips) == 1
    with zipfile.ZipFile(package.layer_zips[0]) as archive:
        assert archive.namelist() == ["python/shared.py"]
