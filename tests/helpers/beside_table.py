"""Reading the beside-the-white-box markdown table of a study summary back into rows."""

from __future__ import annotations


def table_rows(markdown: str) -> list[dict]:
    lines = [ln for ln in markdown.splitlines() if ln.startswith("| ")]
    heads = [h for h in lines if "white-box top-1" in h]
    assert len(heads) == 1, markdown
    at = lines.index(heads[0])
    columns = [c.strip() for c in heads[0].strip("|").split(" | ")]
    return [dict(zip(columns, (c.strip() for c in ln.strip("|").split(" | "))))
            for ln in lines[at + 1:]]
