"""advgui-cli merge: the shard folders of one study (a job array's or a Ray run's parts) as one
study folder."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from advgui.core.analysis.tables import format_summary
from advgui.core.study.merge import merge_studies
from advgui.core.wording import count_noun


def add_parser(sub) -> None:
    p = sub.add_parser("merge", help="merge the shard folders of one study into one study folder")
    p.add_argument("parts", nargs="+", type=Path, metavar="SHARD_DIR")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    try:
        outcome = merge_studies(args.parts, args.out)
    except KeyboardInterrupt:  # every file is written whole or not at all: merge again
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print(f"\naborted: {args.out} is an unfinished merge; run the same merge again to "
              "complete it", file=sys.stderr)
        return 130
    print(format_summary(outcome.summary))
    print(f"\nmerged {count_noun(len(args.parts), 'shard')}: {count_noun(outcome.rows, 'row')} of "
          f"{count_noun(outcome.images, 'image')} in "
          f"{args.out / 'images.csv'}; summary in {args.out / 'summary.csv'}")
    return 0
