"""The command line says which ONNX Runtime build is installed, which providers it offers and
which device a model runs on (CUDA on Linux/Windows x86_64 with an NVIDIA GPU, else CPU)."""

from __future__ import annotations

import onnxruntime as ort

from advgui.core.model import session
from tests.helpers.cli import run_cli


def test_version_names_the_runtime_its_providers_and_the_device():
    code, out, err = run_cli("--version")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("advgui ")
    assert lines[1].startswith("runtime: onnxruntime") and ort.__version__ in lines[1]
    assert "CPU" in lines[1].split("providers", 1)[1]
    assert lines[2].startswith("device (--device auto): ")
    assert lines[2].split(": ", 1)[1].split(" ")[0] in ("CPU", "CUDA")


def test_models_ends_with_the_runtime_line():
    code, out, err = run_cli("models")
    assert code == 0, err
    assert out.splitlines()[-1] == f"runtime: {session.describe_runtime()}"


def test_runtime_names_the_build_from_the_package_metadata(monkeypatch):
    from importlib import metadata

    def only(name):
        def distribution(wanted):
            if wanted != name:
                raise metadata.PackageNotFoundError(wanted)
        return distribution

    monkeypatch.setattr(metadata, "distribution", only("onnxruntime"))
    assert session.runtime_packages() == ["onnxruntime"]
    monkeypatch.setattr(metadata, "distribution", lambda name: None)
    assert "both installed" in session.describe_runtime()


def test_probe_without_a_cuda_provider_says_cpu_and_why(monkeypatch):
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    choice = session.probe_device("auto")
    assert choice.used == "cpu" and "no CUDA provider" in choice.reason
