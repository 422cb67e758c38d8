"""The built wheel carries the operation documents and works from a fresh environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from stigg_async._operations import load_operations

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, stigg_async
from stigg_async._operations import load_operations
from stigg_async._resources import operations_dir, schema_path
from graphql import build_schema, validate, parse
ops = load_operations()
schema = build_schema(schema_path().read_text())
errors = {n: [e.message for e in validate(schema, parse(o.text))] for n, o in ops.items()}
print(json.dumps({
    "module": stigg_async.__file__,
    "operations_dir": str(operations_dir()),
    "names": sorted(ops),
    "invalid": {n: e for n, e in errors.items() if e},
    "typed": (operations_dir().parent / "py.typed").is_file(),
}))
"""


@pytest.mark.wheel
def test_wheel_installs_into_a_fresh_venv_and_loads_every_document(tmp_path: Path) -> None:
    """Build the wheel, install it alone into a new venv, load and validate all documents there."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("stigg_async-*.whl"))
    assert len(wheels) == 1
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    target = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Install only our wheel (no dependency downloads); the dependencies come from
    # this environment's site-packages, added after the fresh one on sys.path.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheels[0]),
        ],
        check=True,
        capture_output=True,
    )
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": ""}
    env.pop("PYTHONPATH")
    (target / "zz_dependencies.pth").write_text(deps + "\n", encoding="utf-8")
    out = subprocess.run(
        [str(python), "-I", "-c", PROBE],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    report = json.loads(out.stdout)
    assert report["module"].startswith(str(target)), "stigg_async must come from the wheel"
    assert report["operations_dir"].startswith(str(target))
    assert report["names"] == sorted(load_operations())
    assert report["invalid"] == {}
    assert report["typed"] is True
