"""Stack archives: deterministic bytes, exactly the files each runtime needs, clear failures.

These tests use stand-in runtime trees (``fake_root``) so that they prove the packaging rules
on their own; test_package_real.py checks the archives of the real runtimes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest

from contract import DIRECT_UPLOAD_BYTES_MAX, UNZIPPED_BYTES_MAX
from stack import Package, PackageError, StackSettings, build_package
from stack._archive import zip_bytes


def settings_for(
    language: str = "python", strategy: str = "bundled", memory_mb: int = 512
) -> StackSettings:
    return StackSettings(
        name=f"{language}-{memory_mb}", language=language, memory_mb=memory_mb,
        model_strategy=strategy,
    )  # fmt: skip


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_python_archive_holds_the_flat_handler_and_the_model(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    package = build_package(
        settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path / "o"
    )
    files = entries(package.code_zip)
    # Only the modules directly in runtime/python/: no tests, no docs.
    assert sorted(files) == ["app.py", "model.py", "model.zip"]
    assert files["model.zip"] == artifact.read_bytes()
    assert files["app.py"] == (fake_root / "runtime" / "python" / "app.py").read_bytes()
    assert package.handler == "app.handler"
    assert package.layer_zip is None and package.layer_sha256_b64 is None
    assert package.artifact == artifact.resolve()


def test_model_version_comes_from_the_artifact(
    fake_root: Path, artifact: Path, tmp_path: Path, model_description: dict[str, object]
) -> None:
    package = build_package(settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert package.model_version == model_description["model_version"]


def test_archive_bytes_are_deterministic_and_hashed_as_lambda_does(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    first = build_package(settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path / "a")
    # Touch the sources: new mtimes must not change a byte.
    for path in (fake_root / "runtime" / "python").glob("*.py"):
        path.write_bytes(path.read_bytes())
    second = build_package(
        settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path / "b"
    )
    data = first.code_zip.read_bytes()
    assert data == second.code_zip.read_bytes()
    assert first.code_sha256_b64 == second.code_sha256_b64
    assert first.code_sha256_b64 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert first.size_bytes == len(data)
    digest = hashlib.sha256(data).hexdigest()
    assert first.code_zip.name == f"python-bundled-{digest[:12]}.zip"
    with zipfile.ZipFile(first.code_zip) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_a_source_change_changes_the_hash(fake_root: Path, artifact: Path, tmp_path: Path) -> None:
    before = build_package(settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path)
    (fake_root / "runtime" / "python" / "model.py").write_text("WEIGHTS = [1]\n")
    after = build_package(settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert after.code_sha256_b64 != before.code_sha256_b64
    assert after.code_zip != before.code_zip and before.code_zip.exists()


def test_stacks_sharing_an_archive_share_the_file(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    small = build_package(
        settings_for(memory_mb=256), artifact=artifact, root=fake_root, out_dir=out
    )
    large = build_package(
        settings_for(memory_mb=1024), artifact=artifact, root=fake_root, out_dir=out
    )
    assert small.code_zip == large.code_zip
    assert sorted(p.name for p in out.iterdir()) == [small.code_zip.name]


def test_layer_strategy_moves_the_model_to_a_layer(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    package = build_package(
        settings_for(strategy="layer"), artifact=artifact, root=fake_root, out_dir=tmp_path
    )
    assert sorted(entries(package.code_zip)) == ["app.py", "model.py"]
    assert package.layer_zip is not None and package.layer_sha256_b64 is not None
    # Lambda extracts a layer to /opt: model.zip at the layer's root is /opt/model.zip.
    assert entries(package.layer_zip) == {"model.zip": artifact.read_bytes()}
    layer_bytes = package.layer_zip.read_bytes()
    assert (
        package.layer_sha256_b64 == base64.b64encode(hashlib.sha256(layer_bytes).digest()).decode()
    )
    assert re.fullmatch(r"model-layer-[0-9a-f]{12}\.zip", package.layer_zip.name)


def test_s3_strategy_packages_no_model(fake_root: Path, artifact: Path, tmp_path: Path) -> None:
    package = build_package(
        settings_for(strategy="s3"), artifact=artifact, root=fake_root, out_dir=tmp_path
    )
    assert sorted(entries(package.code_zip)) == ["app.py", "model.py"]
    assert package.layer_zip is None
    assert package.code_zip.name.startswith("python-s3-")


def test_java_archive_holds_classes_at_the_root(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    package = build_package(
        settings_for("java"), artifact=artifact, root=fake_root, out_dir=tmp_path
    )
    assert sorted(entries(package.code_zip)) == [
        "model.zip",
        "predictor/Handler.class",
        "predictor/json/Reader.class",
    ]
    assert package.handler == "predictor.Handler::handleRequest"
    again = build_package(
        settings_for("java", memory_mb=256), artifact=artifact, root=fake_root, out_dir=tmp_path
    )
    assert again.code_zip.read_bytes() == package.code_zip.read_bytes()
    # The compiled classes of unchanged sources are reused: javac ran once.
    assert (fake_root / "java-build-runs.txt").read_text() == "1"
    (fake_root / "runtime" / "java" / "src" / "predictor" / "Handler.java").write_text(
        "// changed\n"
    )
    build_package(settings_for("java"), artifact=artifact, root=fake_root, out_dir=tmp_path)
    assert (fake_root / "java-build-runs.txt").read_text() == "2"


def test_a_missing_artifact_says_to_train(fake_root: Path, tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"run `make model` \(python -m model train\)"):
        build_package(settings_for(), root=fake_root, out_dir=tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip", "is not a model artifact"),
        (zip_bytes({"other.json": b"{}"}), "is not a model artifact"),
        (zip_bytes({"model.json": b"{not json"}), "is not a model artifact"),
        (zip_bytes({"model.json": b'{"schema_version": 1}'}), "no usable model_version"),
        (zip_bytes({"model.json": b'{"model_version": "../x"}'}), "no usable model_version"),
    ],
)
def test_a_broken_artifact_says_to_rebuild(
    fake_root: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    artifact = tmp_path / "model.zip"
    artifact.write_bytes(content)
    with pytest.raises(PackageError, match=message) as raised:
        build_package(settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path / "o")
    assert "make model" in str(raised.value)


def test_missing_runtimes_are_named(artifact: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PackageError, match="the Python function is missing"):
        build_package(settings_for(), artifact=artifact, root=empty)
    with pytest.raises(PackageError, match="the Java function is missing"):
        build_package(settings_for("java"), artifact=artifact, root=empty)


def test_default_paths_are_under_the_root(fake_root: Path, artifact: Path) -> None:
    (fake_root / "build").mkdir()
    (fake_root / "build" / "model.zip").write_bytes(artifact.read_bytes())
    package = build_package(settings_for(), root=fake_root)
    assert package.code_zip.parent == (fake_root / "build" / "packages").resolve()
    assert isinstance(package, Package)


def test_zip_bytes_depends_only_on_content() -> None:
    one = zip_bytes({"b": b"2", "a": b"1"})
    assert one == zip_bytes({"a": b"1", "b": b"2"})
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        assert archive.namelist() == ["a", "b"]
        assert archive.comment == b""


def test_code_over_lambdas_250_mb_unzipped_is_refused_at_build_time(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    # A sparse file: 250 MB + 1 byte of zeros without writing them to disk. Checked before
    # compressing, so nothing of that size is zipped.
    with (fake_root / "runtime" / "python" / "vendored.py").open("wb") as handle:
        handle.truncate(UNZIPPED_BYTES_MAX + 1)
    with pytest.raises(PackageError) as raised:
        build_package(settings_for(), artifact=artifact, root=fake_root, out_dir=tmp_path / "out")
    message = str(raised.value)
    assert "over Lambda's 250.0 MB unzipped limit" in message
    assert "50.0 MB zipped are deployed from S3" in message
    assert "model_strategy: s3" in message
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.zip"))


def test_an_archive_knows_whether_it_fits_a_direct_upload(
    fake_root: Path, artifact: Path, tmp_path: Path
) -> None:
    package = build_package(settings_for("python", "layer"), artifact=artifact, root=fake_root,
                            out_dir=tmp_path)  # fmt: skip
    assert package.size_bytes == package.code_zip.stat().st_size
    assert package.layer_zip is not None
    assert package.layer_size_bytes == package.layer_zip.stat().st_size
    files = {**entries(package.code_zip), **entries(package.layer_zip)}
    assert package.unzipped_bytes == sum(map(len, files.values()))
    assert not package.code_from_s3 and not package.layer_from_s3
    assert DIRECT_UPLOAD_BYTES_MAX == 50 * 1024 * 1024
    assert UNZIPPED_BYTES_MAX == 250 * 1024 * 1024
