"""The wire format of the sync API: the limits, parsing what a device sends (shape and
content, not rights), the hash that tells an identical re-send apart, the answer for each
item, and the snapshots of server objects a device's version is compared with.

Nothing here touches the database or the request.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from screening.assessments.individual import AssessmentInput
from screening.assessments.models import Assessment, ChildObservation
from screening.classifier import Vulnerability, load_observation_categories
from screening.core.db import DB_INT_MAX, TEXT_MAX
from screening.offline.models import SyncKind

# Limits -----------------------------------------------------------------------------------------
# Every limit of the sync API is here (documented in docs/OFFLINE.md, "Limits"). Anything
# beyond them is refused with a precise English reason: the whole request (400/413) only
# when the body itself is unusable, otherwise just the item that broke a limit.

# At most this many items in one request (413 above: the device sends 100 at a time).
MAX_BATCH = 500
# At most this many bytes in one request body (413 above). The device's batch of 100 items
# always fits, even with every text at its longest and written as \u escapes.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Containers nested at most this deep, counting the body itself: a valid body needs 5
# (body, items, item, payload, answers). A deeper part answers "invalid" for its item only.
MAX_DEPTH = 10
# Ids (round_id, child_id) are 1 .. MAX_ID and versions 0 .. MAX_ID: the database's
# integer columns (PostgreSQL "integer"). Any whole number in an item must fit in the
# same range.
MAX_ID = DB_INT_MAX
# Each free text (resources, concerns, justification, note, a text answer) and every other
# string in an item, keys included, has at most this many characters.
MAX_TEXT = TEXT_MAX
# At most this many answers (keys in "answers") and this many fields in any object.
MAX_ANSWERS = 500
# Strings hold no NUL character (PostgreSQL refuses them in text) and no lone surrogate
# (no valid UTF-8 has one).

ASSESSMENT_FIELDS = frozenset(
    {
        "round_id",
        "child_id",
        "answers",
        "resources",
        "concerns",
        "justification",
        "vulnerability",
        "submit",
    }
)

OBSERVATION_FIELDS = frozenset({"child_id", "source", "category", "level", "observed_on", "note"})


class Invalid(ValueError):
    """An item cannot be applied; `reason` says why, in English."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadBody(ValueError):
    """The request body cannot be read at all (answered `status` with `reason`)."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


# Reading the body -------------------------------------------------------------------------------

# A JSON string (escapes included) or a bracket: the only tokens that change the nesting.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class _TooBig(int):
    """A whole number with more digits than any limit allows (kept unparsed)."""


def _parse_int(text: str) -> int:
    # Python refuses to parse more than 4300 digits; nothing here needs more than 20.
    return _TooBig(0) if len(text.lstrip("-")) > 20 else int(text)


class Body:
    """A decoded request body. On the slow path (see `load_body`) parts nested deeper
    than MAX_DEPTH were cut off before decoding and replaced by `marker`, a string, so that
    only the item holding one is refused (`check_values`)."""

    def __init__(self, value: Any, marker: str | None):
        self.value = value
        self.marker = marker


def load_body(raw: bytes) -> Body:
    """Decode a JSON body within the limits above, or raise BadBody.

    The fast path is the plain decoder; item depth is then checked by `check_values`. A
    body the plain decoder refuses (nesting beyond its recursion limit, a number of more
    than 4300 digits, or simply not JSON) takes the slow path: parts nested deeper than
    MAX_DEPTH are cut off and giant numbers kept unparsed, so each such item can be
    answered "invalid" on its own; what still fails is not JSON."""
    if len(raw) > MAX_BODY_BYTES:
        raise BadBody(f"request body too large (at most {MAX_BODY_BYTES} bytes)", 413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not valid UTF-8") from None
    try:
        return Body(json.loads(text), None)
    except (ValueError, RecursionError):
        pass
    text, marker = _cut_deep(text)
    try:
        value = json.loads(text, parse_int=_parse_int)
    except (ValueError, RecursionError):
        raise BadBody("the body is not valid JSON") from None
    return Body(value, marker)


def _cut_deep(text: str) -> tuple[str, str | None]:
    """Replace each container nested deeper than MAX_DEPTH by a marker string."""
    depth = 0
    cut_from: int | None = None
    spans: list[tuple[int, int]] = []
    for m in _TOKENS.finditer(text):
        part = m.group()
        if part in ("[", "{"):
            depth += 1
            if depth == MAX_DEPTH + 1:
                cut_from = m.start()
        elif part in ("]", "}"):
            if depth == MAX_DEPTH + 1 and cut_from is not None:
                spans.append((cut_from, m.end()))
                cut_from = None
            depth -= 1
    if not spans:
        return text, None
    if cut_from is not None:  # never closed: not JSON anyway
        raise BadBody("the body is not valid JSON")
    marker = f"too-deep-{secrets.token_hex(16)}"
    quoted = json.dumps(marker)
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(quoted)
        last = end
    out.append(text[last:])
    return "".join(out), marker


def check_values(
    value: Any, marker: str | None = None, where: str = "item", depth: int = 3
) -> None:
    """Check every value in an item against the limits, whatever its shape: Invalid names
    a part that breaks one (e.g. "item.payload.note contains a NUL character"). `depth`:
    the item's own nesting level in the body (3: body, "items", the item)."""
    # (value, its parent's path, its key, its depth); a path is spelt out only for an error
    # or a container, since most values pass.
    stack: list[tuple[Any, str, Any, int]] = [(value, where, None, depth)]
    while stack:
        v, parent, key, level = stack.pop()
        if isinstance(v, str):
            _check_string(v, parent, key, marker)
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int):
            if isinstance(v, _TooBig) or not -MAX_ID <= v <= MAX_ID:
                raise Invalid(
                    f"{_path(parent, key)} is out of range "
                    f"(whole numbers from {-MAX_ID} to {MAX_ID})"
                )
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise Invalid(f"{_path(parent, key)} is a number JSON cannot hold")
        elif isinstance(v, dict | list):
            path = _path(parent, key)
            if level > MAX_DEPTH:
                raise Invalid(_too_deep(path))
            if len(v) > MAX_ANSWERS:
                what = "fields" if isinstance(v, dict) else "entries"
                raise Invalid(f"{path} has too many {what} (at most {MAX_ANSWERS})")
            if isinstance(v, dict):
                for k, child in v.items():
                    _check_string(k, f"{path}: a key", None, marker)
                    stack.append((child, path, k, level + 1))
            else:
                stack.extend((child, path, i, level + 1) for i, child in enumerate(v))


def _path(parent: str, key: Any) -> str:
    if key is None:
        return parent
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if len(key) <= 40 and key.isprintable() else parent


def _too_deep(path: str) -> str:
    return f"{path} is nested too deeply (at most {MAX_DEPTH} levels in a body)"


def _check_string(value: str, parent: str, key: Any, marker: str | None) -> None:
    if len(value) > MAX_TEXT:
        raise Invalid(f"{_path(parent, key)} is too long (at most {MAX_TEXT} characters)")
    if "\x00" in value:
        raise Invalid(
            f"{_path(parent, key)} contains a NUL character (U+0000), which cannot be stored"
        )
    if marker is not None and value == marker:
        raise Invalid(_too_deep(_path(parent, key)))
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid(
                f"{_path(parent, key)} contains a lone surrogate, which is not valid Unicode"
            ) from None


# Hashing -------------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, no NaN: the same content always gives the same text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def payload_hash(kind: str, payload: dict[str, Any]) -> str:
    text = canonical_json({"kind": kind, "payload": payload})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Items ---------------------------------------------------------------------------------------


@dataclass
class Item:
    raw_id: Any
    client_id: str
    kind: SyncKind
    base_version: int | None
    payload: dict[str, Any]
    hash: str
    # The id of the item this edit was made on top of, when the device has not yet heard
    # which version that item produced (e.g. its answer was lost).
    base_id: str | None = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def echo_id(raw: Any) -> Any:
    """What an answer repeats of an item's id: a string of sensible length, else null (the
    answers are in the items' order)."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


def parse_item(raw: Any, marker: str | None = None) -> Item:
    """Check an item's shape and limits (not its content). `marker`: see `Body`."""
    check_values(raw, marker)
    if not isinstance(raw, dict):
        raise Invalid("malformed item: not an object")
    unknown = set(raw) - {"id", "kind", "base_version", "base_id", "payload"}
    if unknown:
        raise Invalid(f"malformed item: unknown field {sorted(unknown)[0]!r}")
    raw_id = raw.get("id")
    client_id = parse_uuid(raw_id, "id")
    base_id = parse_uuid(raw["base_id"], "base_id") if raw.get("base_id") is not None else None
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in {k.value for k in SyncKind}:
        raise Invalid("malformed item: kind must be 'assessment' or 'observation'")
    base_version = raw.get("base_version")
    if base_version is not None and not (_is_int(base_version) and 0 <= base_version <= MAX_ID):
        raise Invalid(
            f"malformed item: base_version must be a whole number from 0 to {MAX_ID} or null"
        )
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise Invalid("malformed item: payload must be an object")
    try:
        digest = payload_hash(kind, payload)
    except ValueError:
        raise Invalid("malformed item: payload contains a number JSON cannot hold") from None
    return Item(echo_id(raw), client_id, SyncKind(kind), base_version, payload, digest, base_id)


def parse_uuid(value: Any, name: str) -> str:
    try:
        if not isinstance(value, str) or len(value) != 36:
            raise ValueError
        return str(uuid.UUID(value))
    except ValueError:
        raise Invalid(f"malformed item: {name} must be a UUID (36 characters)") from None


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"malformed payload: {name} must be a string")
    if len(value) > TEXT_MAX:
        raise Invalid(f"{name} is too long (at most {TEXT_MAX} characters)")
    return value


def _int(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise Invalid(f"malformed payload: {name} must be a whole number from 1 to {MAX_ID}")
    return value


def _unknown_fields(payload: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(payload) - allowed
    if unknown:
        raise Invalid(f"malformed payload: unknown field {sorted(unknown)[0]!r}")


@dataclass
class AssessmentPayload:
    round_id: int
    child_id: int
    data: AssessmentInput
    submit: bool


def parse_assessment(payload: dict[str, Any]) -> AssessmentPayload:
    _unknown_fields(payload, ASSESSMENT_FIELDS)
    round_id = _int(payload, "round_id")
    child_id = _int(payload, "child_id")
    answers = payload.get("answers", {})
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise Invalid("malformed payload: answers must be an object")
    vulnerability = payload.get("vulnerability") or None
    if vulnerability is not None and (
        not isinstance(vulnerability, str) or vulnerability not in {v.value for v in Vulnerability}
    ):
        raise Invalid("malformed payload: vulnerability must be 'not', 'potentially' or 'clearly'")
    submit = payload.get("submit", False)
    if not isinstance(submit, bool):
        raise Invalid("malformed payload: submit must be true or false")
    data = AssessmentInput(
        answers=answers,
        resources=_text(payload, "resources"),
        concerns=_text(payload, "concerns"),
        justification=_text(payload, "justification"),
        vulnerability=vulnerability,
    )
    return AssessmentPayload(round_id, child_id, data, submit)


@dataclass
class ObservationPayload:
    child_id: int
    source: str
    category: str
    level: int
    observed_on: date
    note: str


def parse_observation(payload: dict[str, Any], today: date) -> ObservationPayload:
    _unknown_fields(payload, OBSERVATION_FIELDS)
    child_id = _int(payload, "child_id")
    source, category = payload.get("source"), payload.get("category")
    if not isinstance(source, str) or not isinstance(category, str):
        raise Invalid("malformed payload: source and category must be strings")
    level = payload.get("level")
    if not _is_int(level) or level not in (1, 2, 3):
        raise Invalid("level must be 1, 2 or 3")
    observed = payload.get("observed_on")
    try:
        if not isinstance(observed, str) or len(observed) != 10:
            raise ValueError
        observed_on = date.fromisoformat(observed)
    except ValueError:
        raise Invalid("observed_on must be a date (YYYY-MM-DD)") from None
    # A day's grace: the tablet dates by its own clock and time zone (just after midnight in
    # Denmark it is still yesterday on a server running on UTC).
    if observed_on > today + timedelta(days=1):
        raise Invalid("observed_on is in the future")
    if not load_observation_categories().has(source, category):
        raise Invalid("unknown category for this source")
    return ObservationPayload(
        child_id, source, category, level, observed_on, _text(payload, "note")
    )


# Answers and snapshots ---------------------------------------------------------------------------


def item_result(item_id: Any, status: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item_id, "status": status}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def assessment_snapshot(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.id,
        "round_id": a.round_id,
        "child_id": a.child_id,
        "version": a.version,
        "status": a.status.value,
        "answers": dict(a.answers or {}),
        "resources": a.resources,
        "concerns": a.concerns,
        "justification": a.justification,
        "vulnerability": a.vulnerability.value if a.vulnerability else None,
        "updated_at": _iso(a.updated_at),
        "submitted_at": _iso(a.submitted_at),
    }


def observation_snapshot(o: ChildObservation) -> dict[str, Any]:
    return {
        "id": o.id,
        "child_id": o.child_id,
        "source": o.source.value,
        "category": o.category,
        "level": o.level,
        "observed_on": o.observed_on.isoformat(),
        "note": o.note,
    }
