"""`pip install` resolves on every desktop the README promises: the whole dependency set, resolved
against the package registry for each platform (nothing downloaded or installed: pip reads each
wheel's metadata only), so a dependency without a wheel for one of them fails here, not on a
teacher's Mac.

pip evaluates environment markers for the machine it runs on, not for --platform, so the markers
are evaluated here for each target (packaging.markers) and the resolved packages' own
requirements are checked again for the target: one that pip skipped because its marker is false
on Linux (pywin32 on Windows, say) is added and resolved too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# pip as this machine (and CI) set it up, reaching the package registry by its configured index,
# but without local wheel folders, extra local indexes or constraint files: a wheel found there
# would hide one missing on the registry.
PIP_ENV = {**os.environ, "PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": "", "PIP_CONSTRAINT": "",
           "PIP_NO_INPUT": "1"}


def _manylinux(glibc_minor: int, arch: str) -> list[str]:
    # pip takes --platform literally for manylinux_2_X (no "or older" expansion), so every older
    # glibc tag is named, with the legacy aliases wheels still carry.
    tags = [f"manylinux_2_{m}_{arch}" for m in range(glibc_minor, 16, -1)]
    return tags + [f"manylinux2014_{arch}"]


# platform -> (wheel tags pip accepts, PEP 508 marker environment), each at the oldest system
# the README promises: Linux x86_64 with glibc 2.28 (onnxruntime-gpu's manylinux_2_28), Linux
# aarch64 with glibc 2.31 (PySide6 6.8's aarch64 wheels; 6.9 and newer need glibc 2.39), Apple
# silicon on macOS 14 (today's onnxruntime arm64 wheels), Intel on macOS 13 (onnxruntime's last
# x86_64 wheels, 1.23).
PLATFORMS = {
    "linux-x86_64": (_manylinux(28, "x86_64"),
                     {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"}),
    "linux-aarch64": (_manylinux(31, "aarch64"),
                      {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix"}),
    "windows-x86_64": (["win_amd64"],
                       {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"}),
    "macos-arm64": (["macosx_14_0_arm64"],
                    {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"}),
    "macos-x86_64": (["macosx_13_0_x86_64"],
                     {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64", "os_name": "posix"}),
}
# The CUDA build where its wheels exist; the CPU build elsewhere (pyproject.toml says why).
RUNTIME = {"linux-x86_64": "onnxruntime-gpu", "windows-x86_64": "onnxruntime-gpu", "linux-aarch64": "onnxruntime",
           "macos-arm64": "onnxruntime", "macos-x86_64": "onnxruntime"}
# The test extras (ray, pyinstaller, h5py) are for developers and CI, which run Linux x86_64.
WITH_TEST_EXTRAS = {"linux-x86_64"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _environment(platform: str) -> dict:
    env = {"python_version": "3.11", "python_full_version": "3.11.9", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "extra": ""}
    return {**env, **PLATFORMS[platform][1]}


def requirements_for(platform: str, extras: tuple[str, ...] = ()) -> list[Requirement]:
    """The project's requirements whose markers hold on the platform."""
    project = _project()
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    env = _environment(platform)
    reqs = [Requirement(line) for line in lines]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(env)]


def _registry_reachable() -> bool:
    done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "pip"], env=PIP_ENV,
                          capture_output=True, text=True, timeout=60)
    return done.returncode == 0


def _pip_resolve(requirements: list[str], platform: str, target: Path) -> list[dict]:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
           "--report", "-", "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", "--target", str(target)]
    for tag in PLATFORMS[platform][0]:
        cmd += ["--platform", tag]
    done = subprocess.run(cmd + requirements, capture_output=True, text=True, timeout=240,
                          env=PIP_ENV)
    assert done.returncode == 0, f"{platform}: pip could not resolve:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)["install"]


def _unmarked(req: Requirement) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def resolve(platform: str, extras: tuple[str, ...], target: Path) -> dict[str, str]:
    """name -> version of every package pip would install on the platform."""
    env = _environment(platform)
    # Without their markers: pip would evaluate them for this machine, not for the platform.
    wanted = [_unmarked(r) for r in requirements_for(platform, extras)]
    for _ in range(4):
        installed = _pip_resolve(wanted, platform, target)
        names = {canonicalize_name(item["metadata"]["name"]) for item in installed}
        # Requirements of the resolved packages whose marker holds on the target but not here.
        missed = []
        for item in installed:
            for line in item["metadata"].get("requires_dist", []):
                req = Requirement(line)
                if (req.marker is not None and req.marker.evaluate(env)
                        and canonicalize_name(req.name) not in names):
                    missed.append(_unmarked(req))
        if not missed:
            return {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in installed}
        wanted += sorted(set(missed))
    raise AssertionError(f"{platform}: requirements still missing after 4 rounds: {missed}")


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_exactly_one_onnxruntime_for_each_platform(platform):
    names = {canonicalize_name(r.name) for r in requirements_for(platform)}
    runtimes = names & {"onnxruntime", "onnxruntime-gpu"}
    assert runtimes == {RUNTIME[platform]}


@pytest.mark.parametrize("machine", [
    {"platform_system": "Windows", "platform_machine": "ARM64"},
    {"platform_system": "Linux", "platform_machine": "ppc64le"},
    {"platform_system": "FreeBSD", "platform_machine": "amd64"},
])
def test_the_two_runtime_markers_are_complements(machine):
    """Any machine gets exactly one of the two builds (both provide the module `onnxruntime`)."""
    env = {**_environment("linux-x86_64"), **machine}
    chosen = [Requirement(line).name for line in _project()["dependencies"]
              if "onnxruntime" in line and Marker(line.split(";", 1)[1]).evaluate(env)]
    assert chosen == ["onnxruntime"]


def test_pywin32_only_on_windows():
    assert "pywin32" in {r.name for r in requirements_for("windows-x86_64")}
    assert "pywin32" not in {r.name for r in requirements_for("linux-x86_64")}


def test_every_platform_resolves_against_the_registry(tmp_path):
    if not _registry_reachable():
        pytest.skip("the package registry cannot be reached from here (pip index versions pip failed)")
    jobs = {p: ("test",) if p in WITH_TEST_EXTRAS else () for p in PLATFORMS}
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {p: pool.submit(resolve, p, extras, tmp_path / p) for p, extras in jobs.items()}
        resolved = {p: f.result() for p, f in futures.items()}
    for platform, packages in resolved.items():
        assert RUNTIME[platform] in packages, platform
        other = ({"onnxruntime", "onnxruntime-gpu"} - {RUNTIME[platform]}).pop()
        assert other not in packages, f"{platform} would install both ONNX Runtime builds"
        assert "pyside6-essentials" in packages and "matplotlib" in packages, platform
    assert "pywin32" in resolved["windows-x86_64"]
    assert {"pytest", "ray", "pyinstaller", "h5py"} <= set(resolved["linux-x86_64"])
