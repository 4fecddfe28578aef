"""An instance runs from its package's tree, unpacked once per emulator run and read-only to
the function, as Lambda mounts /var/task (``_package_trees``, ``_launch``, ``_instance``)."""

from __future__ import annotations

import asyncio
import os
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import EmulatorError, FunctionSpec
from emulator.instance import _package_trees
from emulator.instance._package_trees import TREES_FOLDER, PackageTrees, read_only_mode

pytestmark = pytest.mark.anyio

Start = Callable[..., Any]
MakeSpec = Callable[..., FunctionSpec]

#: answers where it runs from and what a write to its task root, an existing file of its
#: package and its TMPDIR gives (the errno's name, or ``written``)
_APP = textwrap.dedent("""
    import errno
    import json
    import os
    import sys
    import time

    def _try(path):
        try:
            with open(path, "a") as f:
                f.write("x")
        except OSError as exc:
            return errno.errorcode[exc.errno]
        return "written"

    def handler(event, context):
        query = event.get("queryStringParameters") or {}
        time.sleep(float(query.get("sleep", "0")))
        task_root = os.environ["LAMBDA_TASK_ROOT"]
        return {"statusCode": 200, "body": json.dumps({
            "pid": os.getpid(), "cwd": os.getcwd(), "task_root": task_root,
            "module": __file__, "path": sys.path,
            "writes": {
                "new_in_cwd": _try("new.txt"),
                "new_in_task_root": _try(os.path.join(task_root, "other.txt")),
                "package_file": _try(__file__),
                "tmp": _try(os.path.join(os.environ["TMPDIR"], "scratch.txt")),
            },
        })}
""")


def _write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def probe_zip(tmp_path: Path) -> Path:
    return _write_zip(tmp_path / "probe.zip", {"app.py": _APP})


async def _ask(client: httpx.AsyncClient, url: str, sleep_s: float = 0.0) -> dict[str, Any]:
    answer = await client.get(f"{url}/?sleep={sleep_s}", timeout=60)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@pytest.mark.slow
async def test_two_instances_share_one_tree_unpacked_once(
    emulator_at: Start, make_spec: MakeSpec, probe_zip: Path
) -> None:
    async with emulator_at([make_spec(code_zip=probe_zip)]) as run, httpx.AsyncClient() as client:
        # Two at once: two cold starts of the same package, one unpack.
        first, second = await asyncio.gather(
            _ask(client, run.url(), 0.5), _ask(client, run.url(), 0.5)
        )
        assert first["pid"] != second["pid"]
        assert first["task_root"] == second["task_root"] == first["cwd"] == second["cwd"]
        tree = Path(first["task_root"])
        assert tree.name == "task" and tree.parents[2].name == TREES_FOLDER
        assert first["module"] == str(tree / "app.py"), "the handler is imported from the tree"
        assert str(tree) in first["path"]
        unpacked = run.events(kind="package_unpacked")
        assert [(e["source"], e["tree"]) for e in unpacked] == [(str(probe_zip), str(tree))]


@pytest.mark.slow
async def test_a_second_cold_start_does_not_unpack_again(
    emulator_at: Start, make_spec: MakeSpec, probe_zip: Path
) -> None:
    async with emulator_at([make_spec(code_zip=probe_zip)]) as run, httpx.AsyncClient() as client:
        first = await _ask(client, run.url())
        assert run.emu.reclaim_idle() == 1
        await run.emu.wait_gone()
        second = await _ask(client, run.url())
        assert first["pid"] != second["pid"]
        assert len(run.events(kind="started")) == 2
        assert second["task_root"] == first["task_root"]
        assert len(run.events(kind="package_unpacked")) == 1


@pytest.mark.slow
async def test_the_tree_is_read_only_to_the_function_and_its_tmp_is_not(
    emulator_at: Start, make_spec: MakeSpec, probe_zip: Path, tmp_path: Path
) -> None:
    mode = read_only_mode(tmp_path)
    if mode == "none":
        pytest.skip(
            "root without the right to mount: the emulator cannot make a tree "
            "read-only here (docs/emulator.md)"
        )
    async with emulator_at([make_spec(code_zip=probe_zip)]) as run, httpx.AsyncClient() as client:
        found = await _ask(client, run.url())
    expected = "EROFS" if mode == "mount" else "EACCES"
    assert found["writes"] == {
        "new_in_cwd": expected,
        "new_in_task_root": expected,
        "package_file": expected,
        "tmp": "written",
    }
    assert [e["read_only"] for e in run.events(kind="package_unpacked")] == [mode]


async def test_a_new_package_version_unpacks_anew(tmp_path: Path) -> None:
    trees = PackageTrees(tmp_path / "run", read_only="permissions")
    archive = _write_zip(tmp_path / "code.zip", {"app.py": "VERSION = 1\n"})
    old = trees.location("fn", archive, mount="task")
    assert await trees.ensure(archive, old) is not None
    assert trees.location("fn", archive, mount="task") == old
    assert await trees.ensure(archive, old) is None, "unpacked once"

    _write_zip(archive, {"app.py": "VERSION = 2  # rebuilt\n"})
    os.utime(archive, ns=(os.stat(archive).st_atime_ns, os.stat(archive).st_mtime_ns + 10**9))
    new = trees.location("fn", archive, mount="task")
    assert new != old
    assert await trees.ensure(archive, new) is not None
    assert (new / "app.py").read_text() == "VERSION = 2  # rebuilt\n"
    assert (old / "app.py").read_text() == "VERSION = 1\n", "running instances keep theirs"


async def test_a_package_folder_is_copied_once_and_anew_when_a_file_changes(
    tmp_path: Path,
) -> None:
    trees = PackageTrees(tmp_path / "run", read_only="permissions")
    folder = tmp_path / "function"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "model.txt").write_text("weights 1\n")
    tree = trees.location("fn", folder, mount="task")
    assert await trees.ensure(folder, tree) is not None
    assert (tree / "pkg" / "model.txt").read_text() == "weights 1\n"
    assert trees.location("fn", folder, mount="task") == tree
    assert await trees.ensure(folder, tree) is None

    nested = folder / "pkg" / "model.txt"
    nested.write_text("weights 22\n")
    assert trees.location("fn", folder, mount="task") != tree, "a deep change is a new version"


async def test_concurrent_starts_unpack_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    unpack = _package_trees._unpack

    def counted(source: Path | None, tree: Path) -> float:
        calls.append(tree)
        return unpack(source, tree)

    monkeypatch.setattr(_package_trees, "_unpack", counted)
    trees = PackageTrees(tmp_path / "run", read_only="permissions")
    archive = _write_zip(tmp_path / "code.zip", {f"m{i}.py": "x = 1\n" * 1000 for i in range(50)})
    tree = trees.location("fn", archive, mount="task")
    results = await asyncio.gather(*(trees.ensure(archive, tree) for _ in range(6)))
    assert calls == [tree]
    assert sum(r is not None for r in results) == 1, "one unpacked, the others waited for it"
    assert len(list(tree.glob("m*.py"))) == 50


async def test_a_failed_unpack_leaves_no_half_tree(tmp_path: Path) -> None:
    trees = PackageTrees(tmp_path / "run", read_only="permissions")
    archive = _write_zip(tmp_path / "code.zip", {"a.py": "A = 1\n", "b.py": "B = 2\n" * 100})
    # Corrupt b.py's stored bytes: a.py is written, then b.py's CRC check fails mid-unpack.
    data = archive.read_bytes()
    at = data.index(b"B = 2")
    archive.write_bytes(data[:at] + b"C" + data[at + 1 :])
    tree = trees.location("fn", archive, mount="task")
    with pytest.raises(EmulatorError, match=r"cannot unpack .*code\.zip.*rebuild the package"):
        await trees.ensure(archive, tree)
    assert not tree.exists()
    assert list(tree.parent.iterdir()) == [], "no staging folder left behind"

    _write_zip(archive, {"a.py": "A = 1\n"})
    os.utime(archive, ns=(os.stat(archive).st_atime_ns, os.stat(archive).st_mtime_ns + 10**9))
    fixed = trees.location("fn", archive, mount="task")
    assert await trees.ensure(archive, fixed) is not None
    assert (fixed / "a.py").read_text() == "A = 1\n"


async def test_trees_lose_their_write_bits_and_can_still_be_removed(tmp_path: Path) -> None:
    trees = PackageTrees(tmp_path / "run", read_only="permissions")
    archive = _write_zip(tmp_path / "code.zip", {"pkg/app.py": "x = 1\n"})
    tree = trees.location("fn", archive, mount="task")
    await trees.ensure(archive, tree)
    for path in (tree, tree / "pkg", tree / "pkg" / "app.py"):
        assert path.stat().st_mode & 0o222 == 0, path
    _package_trees.remove_tree(tmp_path / "run")
    assert not (tmp_path / "run").exists()
