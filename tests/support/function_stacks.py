"""A team's function on disk, as the function-stack tests need one: code, requests, stack file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

HANDLER_SOURCE = textwrap.dedent("""\
    import json

    def lambda_handler(event, context):
        body = json.loads(event.get("body") or "{}")
        return {"statusCode": 200, "headers": {"content-type": "application/json"},
                "body": json.dumps({"echo": body, "path": event.get("rawPath")})}
    """)


def write_function(
    root: Path,
    *,
    name: str = "echo",
    handler: str = "app.lambda_handler",
    source: str = HANDLER_SOURCE,
    requests: object | None = None,
    requirements: str | None = None,
    extra: str = "",
) -> Path:
    """``<root>/<name>/`` holding app.py (and requests.json, requirements.txt), and
    ``<root>/Pulumi.<name>.yaml`` naming it; returns the stack file."""
    code = root / name
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text(source, encoding="utf-8")
    if requests is None:
        requests = [
            {"method": "POST", "path": "/echo", "body": {"x": 1}, "weight": 3},
            {"method": "GET", "path": "/echo"},
        ]
    (code / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    if requirements is not None:
        (code / "requirements.txt").write_text(requirements, encoding="utf-8")
    (root / "Pulumi.yaml").write_text(
        "name: lambda-model-study\nruntime: python\n", encoding="utf-8"
    )
    stack_file = root / f"Pulumi.{name}.yaml"
    stack_file.write_text(
        "config:\n"
        "  lambda-model-study:kind: function\n"
        f"  lambda-model-study:code: {name}\n"
        f"  lambda-model-study:handler: {handler}\n"
        "  lambda-model-study:runtime: python3.12\n"
        "  lambda-model-study:memory_mb: 256\n"
        "  lambda-model-study:authorization: none\n" + extra,
        encoding="utf-8",
    )
    return stack_file


def write_wheel(
    folder: Path,
    name: str = "tinydep",
    version: str = "1.0",
    tag: str = "py3-none-any",
    source: str = "VALUE = 42\n",
) -> Path:
    """A minimal wheel of one module (``<name>/__init__.py``) in ``folder``, for an offline
    index (``--no-index --find-links``)."""
    import base64
    import hashlib
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-{tag}.whl"
    info = f"{name}-{version}.dist-info"
    members = {
        f"{name}/__init__.py": source.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ).encode(),
    }
    lines = []
    for member, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{member},sha256={digest},{len(data)}")
    lines.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = ("\n".join(lines) + "\n").encode()
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return wheel


def offline_requirements(index: Path, *names: str) -> str:
    """A requirements file that installs ``names`` from the folder ``index`` alone."""
    return f"--no-index\n--find-links {index}\n" + "".join(f"{n}\n" for n in names)
