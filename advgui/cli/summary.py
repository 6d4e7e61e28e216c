"""advgui-cli summary: a study folder's summary (text or Markdown), read only: it never changes
the study it reads (another run may be writing it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from advgui.cli.extras import print_extras, read_extras_noting
from advgui.core.analysis.beside_table import (TIER_ORDER, beside_heading, beside_rows,
                                               format_beside_markdown)
from advgui.core.analysis.queries import format_queries, format_queries_markdown, queries_rows
from advgui.core.analysis.summary import summary_rows, uses_truth
from advgui.core.analysis.tables import format_markdown, format_summary
from advgui.core.records.schema import (IMAGE_COLUMNS, REQUIRED_IMAGE_COLUMNS, image_key,
                                         validate_image_row)
from advgui.core.records.row_log import read_csv
from advgui.core.study.reports import read_manifest


def add_parser(sub) -> None:
    p = sub.add_parser("summary", help="print the summary table of a finished or partial study")
    p.add_argument("out", type=Path)
    p.add_argument("--markdown", action="store_true",
                   help="Markdown tables, with white-box, transfer and destruction side by side")
    p.add_argument("--tier", nargs="+", choices=TIER_ORDER,
                   help="only these tiers (high, medium, low, all)")
    p.set_defaults(func=cmd_summary)


def cmd_summary(args: argparse.Namespace) -> int:
    """Re-read a study folder's rows and print its summary (text or Markdown)."""
    path = args.out / "images.csv"
    if not path.exists():
        raise ValueError(f"no study results in {args.out} (images.csv missing)")
    # Read only: a summary never rewrites the study it reads (another run may be writing it).
    contents = read_csv(path, IMAGE_COLUMNS, validate_image_row, image_key,
                        required=REQUIRED_IMAGE_COLUMNS)
    studies = {r.get("study_id", "") for r in contents.rows} - {""}
    if len(studies) > 1:
        raise ValueError(f"{path} holds rows of {len(studies)} different studies; a summary of "
                         "them together would mean nothing")
    if read_manifest(args.out).get("merging"):
        print("note: this folder is a merge that did not finish; run the same merge again",
              file=sys.stderr)
    if contents.damaged:
        print(f"note: {contents.describe_dropped()} (the next run of the study repairs the "
              "file)", file=sys.stderr)
    summary = summary_rows(contents.rows)
    tiers = tuple(args.tier) if args.tier else None
    if tiers:
        summary = [r for r in summary if r["tier"] in tiers]
        if not summary:
            raise ValueError(f"{args.out} has no rows in the tier{'s' if len(tiers) > 1 else ''} "
                             f"{', '.join(tiers)}")
    extras = read_extras_noting(args.out)
    queries = [r for r in queries_rows(contents.rows) if not tiers or r["tier"] in tiers]
    if not args.markdown:
        print(format_summary(summary))
        if queries:
            print(format_queries(queries))
        print_extras(extras, tiers, truth=uses_truth(summary))
        return 0
    print(format_markdown(summary))
    if queries:
        print(format_queries_markdown(queries))
    models, transforms, rows = beside_rows(summary, extras)
    if models or transforms:
        print(f"\n{beside_heading(uses_truth(summary))}\n")
        print(format_beside_markdown(rows, tiers or tuple(TIER_ORDER)))
    return 0
