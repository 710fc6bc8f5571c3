"""The wheel ships every package of the source tree, and constraints.txt matches pyproject.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

# Source folder -> where it lands in the wheel (pyproject.toml's package-dir).
TREES = {"bot": "bot", "dialogs": "dialogs", "content": "crampbot_content"}
SHIPPED = (".py", ".yaml")
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="session")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The file names in a wheel built once per session from a copy of the working tree."""
    tmp = tmp_path_factory.mktemp("wheel")
    tree = tmp / "tree"
    shutil.copytree(ROOT, tree, ignore=NOT_SOURCE)
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp), "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (wheel,) = tmp.glob("crampbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def source_files() -> dict[str, str]:
    """Every shipped file of the source trees -> its name in the wheel."""
    found = {}
    for folder, package in TREES.items():
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in SHIPPED and "__pycache__" not in path.parts:
                inner = path.relative_to(ROOT / folder).as_posix()
                found[path.relative_to(ROOT).as_posix()] = f"{package}/{inner}"
    return found


@pytest.mark.wheel
def test_wheel_ships_every_package_folder_when_built(wheel_files: set[str]) -> None:
    folders = {name.rsplit("/", 1)[0] for name in source_files().values()}
    shipped = {name.rsplit("/", 1)[0] for name in wheel_files}
    assert folders - shipped == set(), "package folders missing from the wheel"
    assert {"bot/stores", "crampbot_content/locales"} <= folders  # the tree was really read


@pytest.mark.wheel
def test_wheel_ships_every_module_and_content_file_when_built(wheel_files: set[str]) -> None:
    missing = {src for src, name in source_files().items() if name not in wheel_files}
    assert missing == set(), "source files missing from the wheel"


@pytest.mark.wheel
def test_wheel_ships_the_license_and_entry_points_when_built(wheel_files: set[str]) -> None:
    version = pyproject()["project"]["version"]
    info = f"crampbot-{version}.dist-info"
    assert f"{info}/licenses/LICENSE" in wheel_files
    assert f"{info}/entry_points.txt" in wheel_files
    assert "bot/__main__.py" in wheel_files


def pins() -> dict[str, Requirement]:
    """constraints.txt as name -> pinned requirement (markers kept)."""
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def test_constraints_pin_every_runtime_dependency_when_pyproject_lists_it() -> None:
    locked = pins()
    for line in pyproject()["project"]["dependencies"]:
        wanted = Requirement(line)
        pin = locked.get(canonicalize_name(wanted.name))
        assert pin is not None, f"{wanted.name} is not in constraints.txt: run `make lock`"
        (spec,) = pin.specifier
        assert spec.operator == "==", f"{pin} is not an exact pin"
        assert wanted.specifier.contains(spec.version, prereleases=True), (
            f"constraints.txt pins {pin}, outside pyproject.toml's {wanted}: run `make lock`"
        )


def test_constraints_pin_every_dependency_of_a_dependency_when_installed() -> None:
    """Walk the installed requirement graph (with extras) on this interpreter: every
    distribution reached is pinned, at a version its dependents accept."""
    locked = pins()
    todo = [Requirement(line) for line in pyproject()["project"]["dependencies"]]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        wanted = todo.pop()
        name = canonicalize_name(wanted.name)
        if (name, frozenset(wanted.extras)) in seen:
            continue
        seen.add((name, frozenset(wanted.extras)))
        pin = locked.get(name)
        assert pin is not None, f"{name} (needed via the dependencies) is not in constraints.txt"
        (spec,) = pin.specifier
        assert wanted.specifier.contains(spec.version, prereleases=True), f"{pin} vs {wanted}"
        try:
            needs = requires(wanted.name) or []
        except PackageNotFoundError:
            pytest.fail(f"{wanted.name} is not installed in the test environment")
        for need in map(Requirement, needs):
            envs = [{"extra": extra} for extra in wanted.extras] or [{"extra": ""}]
            if need.marker is None or any(need.marker.evaluate(env) for env in envs):
                todo.append(need)
    assert len(seen) > len(pyproject()["project"]["dependencies"])


def test_version_is_the_package_metadata_when_asked() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"crampbot {pyproject()['project']['version']}"


def test_setup_shows_one_line_and_names_its_log_when_the_install_fails(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run = subprocess.run(
        [
            "make",
            "--no-print-directory",
            f"VENV={venv}",
            "PYTHON=false",
            f"{venv}/.installed-stamp",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
    )
    assert run.returncode != 0
    assert len(run.stdout.strip().splitlines()) == 1, run.stdout
    assert f"{venv}/install.log" in run.stderr
    assert (venv / "install.log").is_file()
    assert not (venv / ".installed-stamp").exists()
