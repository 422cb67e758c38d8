"""The sdist and the wheel: what each holds, their metadata, and installing them."""

from __future__ import annotations

import email
import email.message
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from stigg_async._operations import load_operations
from stigg_async._version import __version__ as stigg_version

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib.util, json, stigg_async
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
    "examples": importlib.util.find_spec("stigg_async.examples.quickstart") is not None,
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
    assert report["examples"] is True  # python -m stigg_async.examples.quickstart


# -- sdist and wheel contents, the README's install lines, extras -------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make dist``'s build: the sdist, then the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def _one(dist: Path, pattern: str) -> Path:
    found = list(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def _wheel_metadata(dist: Path) -> email.message.Message:
    with zipfile.ZipFile(_one(dist, "stigg_async-*.whl")) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(wheel.read(name))


@pytest.mark.wheel
def test_sdist_holds_the_sources_docs_tests_and_licence(dist: Path) -> None:
    """The sdist is a clean tree: code, documents, docs, examples, tests, no build debris."""
    with tarfile.open(_one(dist, "stigg_async-*.tar.gz")) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for expected in (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "Makefile",
        "stigg_async/__init__.py",
        "stigg_async/py.typed",
        "stigg_async/integrations/openfeature.py",
        "operations/schema.graphql",
        "docs/openfeature.md",
        "docs/production.md",
        "examples/openfeature_app.py",
        "tests/test_packaging.py",
        "benchmarks/__main__.py",
        "scripts/gen_api_docs.py",
    ):
        assert expected in names, expected
    assert not [n for n in names if n.startswith((".venv", "dist/", ".bench"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.wheel
def test_wheel_holds_the_package_examples_and_licence_but_no_tests(dist: Path) -> None:
    """The wheel installs the package with its documents, catalog, examples and licence."""
    with zipfile.ZipFile(_one(dist, "stigg_async-*.whl")) as wheel:
        names = set(wheel.namelist())
    for expected in (
        "stigg_async/py.typed",
        "stigg_async/operations/schema.graphql",
        "stigg_async/emulator/default_catalog.json",
        "stigg_async/integrations/openfeature.py",
        "stigg_async/examples/quickstart.py",
        "stigg_async/examples/fastapi_app.py",
        "stigg_async/examples/openfeature_app.py",
    ):
        assert expected in names, expected
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert {n.split("/", 1)[0] for n in names} == {
        "stigg_async",
        f"stigg_async-{stigg_version}.dist-info",
    }
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


@pytest.mark.wheel
def test_metadata_is_complete_and_matches_the_licence_file(dist: Path) -> None:
    """Name, version, summary, licence (MIT, as LICENSE says), Python floor, readme."""
    meta = _wheel_metadata(dist)
    assert meta["Name"] == "stigg-async"
    assert meta["Version"] == stigg_version
    assert meta["Summary"]
    assert meta["License-Expression"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "Typing :: Typed" in meta.get_all("Classifier", [])
    # No project URL may name a host other than Stigg's API (see CHANGELOG.md).
    assert not meta.get_all("Project-URL")


def _requirements(meta: email.message.Message, extra: str) -> set[str]:
    """The distribution names an extra requires."""
    names = set()
    for requirement in meta.get_all("Requires-Dist", []):
        spec, _, marker = requirement.partition(";")
        if re.search(rf"extra == ['\"]{extra}['\"]", marker):
            names.add(re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower())
    return names


@pytest.mark.wheel
def test_extras_bring_what_their_examples_import(dist: Path) -> None:
    """[fastapi] has FastAPI and uvicorn; [openfeature] has the OpenFeature SDK."""
    meta = _wheel_metadata(dist)
    assert {"fastapi", "uvicorn"} <= _requirements(meta, "fastapi")
    assert _requirements(meta, "openfeature") == {"openfeature-sdk"}
    assert "openfeature-sdk" in _requirements(meta, "dev")
    imports = {
        "fastapi_app.py": {"fastapi", "uvicorn"},
        "openfeature_app.py": {"openfeature"},
    }
    for example, modules in imports.items():
        source = (ROOT / "examples" / example).read_text(encoding="utf-8")
        for module in modules:
            assert re.search(rf"^(from|import) {module}\b", source, re.M), (example, module)


def _readme_install_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block is not None, "README's Install section has no console block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.wheel
def test_readme_install_lines_work_in_a_clean_tree(dist: Path, tmp_path: Path) -> None:
    """Each README ``pip install`` line installs the package from a clean tree (the sdist).

    Run offline: ``--no-deps --no-build-isolation --target`` are added, so the line's
    own part (the path and the extra) is what is tried; the extra must exist.
    """
    lines = _readme_install_lines()
    assert lines[0] == "pip install ."
    with tarfile.open(_one(dist, "stigg_async-*.tar.gz")) as sdist:
        sdist.extractall(tmp_path, filter="data")
    tree = _one(tmp_path, "stigg_async-*")
    declared = set(_wheel_metadata(dist).get_all("Provides-Extra", []))
    for number, command in enumerate(lines):
        words = shlex.split(command)
        assert words[:2] == ["pip", "install"], command
        extra = re.search(r"\[(\w+)\]", words[2])
        assert extra is None or extra.group(1) in declared, command
        target = tmp_path / f"site-{number}"
        offline = ["--quiet", "--no-deps", "--no-build-isolation", "--target", str(target)]
        subprocess.run(
            [sys.executable, "-m", *words[:2], *offline, *words[2:]],
            cwd=tree,
            check=True,
            capture_output=True,
        )
        assert (target / "stigg_async" / "__init__.py").is_file(), command
        assert (target / "stigg_async" / "operations" / "schema.graphql").is_file(), command
