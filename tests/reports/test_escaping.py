"""Anything a user typed is printed literally, never read as ReportLab markup."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reports

from . import samples as s
from .docs import builders, fill, flat, squash, text_of

HOSTILE = [
    "<b>Ali & Co",
    "Efterår <b>2026 & <font size=200>",
    "&amp; &lt;i&gt; &#169; &nbsp;",
    "<para><br/></para> <img src='x'/> ]]> <![CDATA[x",
    '<a href="javascript:alert(1)">klik</a> <onDraw name=x/>',
    "%(name)s %s {0} \\n",
]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("kind", sorted(builders()))
def test_every_typed_text_is_printed_literally(kind, hostile):
    data = {
        "guardian_letter": lambda: (s.meeting(), s.CHILD, s.guardian()),
        "professional_letter": lambda: (s.meeting(), s.CHILD, s.professional()),
        "invitations": lambda: (
            [(s.meeting(), s.CHILD, s.guardian()), (s.meeting(), s.CHILD, s.professional())],
        ),
        "action_plan": lambda: (s.plan(),),
        "action_plans": lambda: ([s.plan(), s.plan()],),
        "round_overview": lambda: (s.round_overview(),),
        "municipal_overview": lambda: (s.municipal_overview(),),
        "parents_copy": lambda: (s.parents_copy(),),
        "group_overview": lambda: (s.group_overview(),),
    }[kind]()
    args = fill(data, lambda name: f"{name} {hostile}")
    text = squash(text_of(builders()[kind](*args)))
    assert text.count(squash(hostile)) >= 3


def test_the_reported_cases():
    b = builders()
    child = s.replace(s.CHILD, name="<b>Ali & Co")
    text = text_of(b["parents_copy"](s.parents_copy(child=child, plans=[s.plan(child=child)])))
    assert "Oplysninger om <b>Ali & Co" in text
    assert "Handleplan for <b>Ali & Co" in text
    name = "Efterår <b>2026 & <font size=200>"
    assert f"Oversigt: {name}" in text_of(b["round_overview"](s.round_overview(round_name=name)))
    text = text_of(b["municipal_overview"](s.municipal_overview(round_name=name)))
    assert f"Kommunal oversigt: {name}" in flat(text)


def test_no_builder_can_parse_markup():
    """By construction: ReportLab's markup-parsing flowables are imported nowhere in
    `reports/`; every text is a `reports.text.Text` or a table's plain string."""
    parsers = {"Paragraph", "XPreformatted", "Preformatted", "ParaParser", "ImageAndFlowables"}
    for path in Path(reports.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            n.id if isinstance(n, ast.Name) else n.attr
            for n in ast.walk(tree)
            if isinstance(n, (ast.Name, ast.Attribute))
        } | {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not names & parsers, (path.name, names & parsers)
