"""The style sheet parses: every rule closes (a lost brace, e.g. from a merge, silently
swallows every rule after it)."""

from __future__ import annotations

import re
from pathlib import Path

import screening

CSS = Path(screening.__file__).resolve().parent / "static" / "app.css"


def test_every_css_block_closes_and_nests_only_in_at_rules():
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    depth, opened = 0, []
    for n, line in enumerate(text.splitlines(), start=1):
        for ch in line:
            if ch == "{":
                head = line.split("{")[0].strip() or (opened[-1][1] if opened else "")
                if depth >= 1 and not opened[0][1].startswith("@"):
                    raise AssertionError(f"line {n}: a rule opened inside {opened[-1][1]!r}")
                opened.append((n, head))
                depth += 1
            elif ch == "}":
                assert depth > 0, f"line {n}: a brace closes nothing"
                depth -= 1
                opened.pop()
    assert depth == 0, f"unclosed rule from line {opened[0][0]}: {opened[0][1]!r}"
