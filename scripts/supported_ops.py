"""Write the docs' list (docs/gradient.md) of supported ONNX operators from the gradient builder's own table.

    PYTHONPATH=. python scripts/supported_ops.py          # print the list
    PYTHONPATH=. python scripts/supported_ops.py --write  # replace it in docs/gradient.md

The list sits between two HTML comments in docs/gradient.md (it was in the README);
tests/core/autodiff/test_readme_operators.py fails when it differs from
advgui/core/autodiff/table.py, so the page cannot drift from the code.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from advgui.core.autodiff.table import NON_DIFFERENTIABLE, SUPPORTED_OPS

README = Path(__file__).resolve().parents[1] / "docs" / "gradient.md"
START, END = "<!-- supported-operators:start -->", "<!-- supported-operators:end -->"
_BLOCK = re.compile(re.escape(START) + r"\n(.*?)\n?" + re.escape(END), re.S)


def markdown() -> str:
    """The two lines the README shows: differentiated ops, then ops passed without a gradient."""
    def names(ops) -> str:
        return ", ".join(f"`{op}`" for op in sorted(ops))
    return (f"Differentiated ({len(SUPPORTED_OPS)}): {names(SUPPORTED_OPS)}.\n\n"
            f"Allowed, carrying no gradient ({len(NON_DIFFERENTIABLE)}: shapes, indices, "
            f"comparisons, piecewise-constant functions): {names(NON_DIFFERENTIABLE)}.")


def readme_block(text: str) -> str | None:
    """The README's list between the markers, or None when the markers are missing."""
    found = _BLOCK.search(text)
    return found.group(1) if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the list in docs/gradient.md")
    args = parser.parse_args()
    if not args.write:
        print(markdown())
        return 0
    text = README.read_text(encoding="utf-8")
    if readme_block(text) is None:
        print(f"docs/gradient.md lacks the markers {START} ... {END}", file=sys.stderr)
        return 1
    README.write_text(_BLOCK.sub(lambda _: f"{START}\n{markdown()}\n{END}", text),
                      encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
