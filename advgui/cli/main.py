"""advgui-cli: classify, attack and run the seed's tier study from the command line."""

from __future__ import annotations

import argparse
import logging
import sys

from advgui.cli import attack, classify, install_desktop, merge, models, study, summary

# The subcommands in the order --help lists them; each module adds its own parser.
COMMANDS = (classify, attack, study, merge, summary, models, install_desktop)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="advgui-cli", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
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
