"""advgui-cli models: the shipped models and their nips17-dev top-1."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list the shipped models")
    p.set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    # Imported here: the registry loads onnxruntime, which every other command's --help and
    # `summary` should not pay for (tests/cli/test_cli.py checks the summary's imports).
    from advgui.core.model.registry import shipped_models  # noqa: PLC0415

    for entry in shipped_models():
        acc = entry.info.get("accuracy_nips17_dev", {})
        print(f"{entry.name}: {entry.title}; nips17-dev top-1 {acc.get('top1', float('nan')):.3f}")
    from advgui.core.model.session import describe_runtime  # noqa: PLC0415 (loads onnxruntime)

    print(f"runtime: {describe_runtime()}")
    return 0
