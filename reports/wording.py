"""Wording shared by several documents: the classifier's reasons as a parent reads them.

The reasons arrive as the classifier's sentences (`reports.data.ActionPlanData.reasons`,
from the joint assessment's stored suggestion). Two assessors who ticked the same
statement give the same sentence twice, and each sentence ends with the rule's effect in
the classifier's own words ("Det giver mindst gul position."), which names the internal
colour rather than the municipality's label printed beside it. `plain_reasons` prints each
cause once and leaves those effect sentences out: the document shows the position itself.
"""

from __future__ import annotations

import re

# The effect sentences the classifier appends (screening/classifier/engine.py), Danish and
# English. tests/reports/test_wording.py runs the real classifier so a change there shows.
_EFFECT = re.compile(
    r"\s*(?:"
    r"Det giver (?:mindst )?(?:en )?\w+ position\."
    r"|This gives (?:at least )?an? \w+ position\."
    r"|Markeres til eskalering\.|Flagged for escalation\."
    r"|Bør drøftes på næste niveau i handlevejen\."
    r"|Should be discussed at the next level of the action path\."
    r"|Markeres med «[^»]*»\.|Flagged “[^”]*”\."
    r")"
)


def plain_reasons(reasons: tuple[str, ...] | list[str]) -> list[str]:
    """Each reason once (ignoring spacing), without the classifier's effect sentences."""
    out: list[str] = []
    seen: set[str] = set()
    for reason in reasons:
        text = " ".join(_EFFECT.sub("", reason or "").split())
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return out
