"""advgui-cli: classify, attack and run the seed's tier study from the command line."""

from __future__ import annotations

import argparse
import logging
import sys

from advgui.cli import (attack, classify, explain, explain_study, install_desktop, merge, models,
                        study, summary)

# The subcommands in the order --help lists them; each module adds its own parser.
COMMANDS = (classify, attack, explain, study, explain_study, merge, summary, models,
            install_desktop)


class _Version(argparse.Action):
    """--version: advgui's, the ONNX Runtime build with its providers, and the device a model
    would run on here (computed only when asked: it loads onnxruntime)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="version, ONNX Runtime build and device")

    def __call__(self, parser, namespace, values, option_string=None):
        from advgui import __version__  # noqa: PLC0415
        from advgui.core.model.session import describe_runtime, probe_device  # noqa: PLC0415

        print(f"advgui {__version__}\nruntime: {describe_runtime()}\n"
              f"device (--device auto): {probe_device('auto').describe()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="advgui-cli", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--version", action=_Version)
    sub = ap.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    # ValueError includes ModelError and ImageError: a model, image or option that cannot be used.
    except (ValueError, OSError) as exc:
        print(f"advgui-cli: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
