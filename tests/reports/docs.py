"""Every document type, built from data: one place for the tests that check them all."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable

from pypdf import PdfReader

from reports import group_overview, letters, overviews, parents, plans

from . import samples as s


def builders(lh=None) -> dict[str, Callable[..., bytes]]:
    """Document type → a function building it from (optional) overridden data."""
    lh = lh or s.letterhead()
    return {
        "guardian_letter": lambda m=None, c=None, to=None: letters.guardian_letter(
            lh, m or s.meeting(), c or s.CHILD, to or s.guardian()
        ),
        "professional_letter": lambda m=None, c=None, to=None: letters.professional_letter(
            lh, m or s.meeting(), c or s.CHILD, to or s.professional()
        ),
        "invitations": lambda items=None: letters.invitations(
            lh,
            items
            or [(s.meeting(), s.CHILD, s.guardian()), (s.meeting(), s.CHILD, s.professional())],
        ),
        "action_plan": lambda p=None: plans.action_plan(lh, p or s.plan()),
        "action_plans": lambda ps=None: plans.action_plans(lh, ps or [s.plan(), s.plan()]),
        "round_overview": lambda d=None: overviews.round_overview(lh, d or s.round_overview()),
        "municipal_overview": lambda d=None: overviews.municipal_overview(
            lh, d or s.municipal_overview()
        ),
        "parents_copy": lambda d=None: parents.parents_copy(lh, d or s.parents_copy()),
        "group_overview": lambda d=None: group_overview.group_overview(lh, d or s.group_overview()),
    }


def text_of(pdf: bytes) -> str:
    """The text of the page bodies, without each page's header (municipality, title) and
    footer (date, page number, "Fortroligt"), so a text running over a page boundary
    reads on."""
    reader = PdfReader(io.BytesIO(pdf))
    bodies = []
    for page in reader.pages:
        lines = page.extract_text().strip().split("\n")
        lines = lines[2:]  # the header: municipality and document title
        while lines and lines[-1].strip() and FOOTER.match(lines[-1].strip()):
            lines.pop()
        bodies.append("\n".join(lines))
    return "\n".join(bodies)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


FOOTER = re.compile(
    r"^((Dannet \S+|Dato: .+?|Date: .+?)\s*)?((Side \d+ af|Page \d+ of) \d+\s*)?"
    r"(Fortroligt|Confidential)?$"
)


def squash(text: str) -> str:
    """Without any whitespace: where a line was wrapped or a long word broken must not
    matter."""
    return "".join(text.split())


def flat(text: str) -> str:
    """Whitespace and line breaks as single spaces: wrapping must not matter."""
    return re.sub(r"\s+", " ", text).strip()


# Fields that hold codes, not text a user typed.
CODES = {
    "position",
    "previous_position",
    "area_keys",
    "language",
    "kind_code",
    "interpreter_languages",
}


def fill(obj, make: Callable[[str], str], path: str = ""):
    """A copy of `obj` (data classes, lists, tuples) with every typed text replaced by
    `make(path)`, the path naming the field ("plans.child.name", list indices left out);
    codes, dates, numbers and dictionary keys are kept."""
    name = path.rsplit(".", 1)[-1]
    if isinstance(obj, str):
        return obj if name in CODES else make(path)
    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(
            obj,
            **{
                f.name: fill(getattr(obj, f.name), make, f"{path}.{f.name}".lstrip("."))
                for f in dataclasses.fields(obj)
                if f.name not in CODES
            },
        )
    if isinstance(obj, dict):
        return {k: fill(v, make, path) for k, v in obj.items()}
    if isinstance(obj, tuple) and name == "positions":  # (round, position code, why)
        return (make(f"{path}.round"), obj[1], make(f"{path}.why"))
    if isinstance(obj, tuple) and name == "access_log":  # (when, who, what)
        return (obj[0], make(f"{path}.who"), make(f"{path}.what"))
    if isinstance(obj, (list, tuple)):
        return type(obj)(fill(x, make, path) for x in obj)
    return obj
