"""Every relative link and image in README.md and docs/*.md points to a file that exists, and every
#anchor to a heading of its page (GitHub's slugs). No network: links with a scheme are not followed.

Links into docs/results/ (the pages rendered from the study folders) are checked once that folder
exists: it is generated from the committed records by its own script and test, and a link to a
study folder's page must then resolve like any other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_INDENTED = re.compile(r"^(?: {4}|\t).*$", re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The page without code: links inside code blocks and spans are examples, not links."""
    text = _FENCE.sub("", text)
    text = _INDENTED.sub("", text)
    return _CODE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed (letters of
    any script kept), spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    out = set()
    for heading in _HEADING.findall(text):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    text = _prose(page.read_text(encoding="utf-8"))
    return _LINK.findall(text) + _HTML.findall(text)


def test_the_pages_exist() -> None:
    names = {p.name for p in PAGES}
    assert {"README.md", "guide.md", "cli.md", "study-folder.md", "results.md", "models.md",
            "gradient.md", "performance.md", "architecture.md", "measures.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    results = ROOT / "docs" / "results"
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, mailto: ...: not followed
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if path and results in file.parents and not results.is_dir():
            continue  # rendered by its own script; checked once the folder exists
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with that anchor in {file.name}")
    assert not broken, f"{page.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_checker_sees_links_images_and_anchors(tmp_path) -> None:
    """The checker itself: it finds markdown links, images and <img>, skips code, slugs unicode."""
    page = tmp_path / "p.md"
    page.write_text("# A — ε, JPEG\n\n[x](a.md#b) ![i](p.png) <img src=\"q.png\">\n"
                    "`[no](code.md)`\n\n    [no](indented.md)\n", encoding="utf-8")
    assert links(page) == ["a.md#b", "p.png", "q.png"]
    assert anchors(page) == {"a--ε-jpeg"}
