"""The wire format of the sync API: the limits, parsing what a device sends (shape and
content, not rights), the hash that tells an identical re-send apart, the answer for each
item, and the snapshots of server objects a device's version is compared with.

Nothing here touches the database or the request.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from screening.assessments.models import Assessment, ChildObservation
from screening.assessments.services import AssessmentInput
from screening.classifier import Vulnerability, load_observation_categories
from screening.core.db import TEXT_MAX
from screening.offline.models import SyncKind

# At most this many items in one request.
MAX_BATCH = 500

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


def parse_item(raw: Any) -> Item:
    """Check an item's shape (not its content)."""
    if not isinstance(raw, dict):
        raise Invalid("malformed item: not an object")
    unknown = set(raw) - {"id", "kind", "base_version", "base_id", "payload"}
    if unknown:
        raise Invalid(f"malformed item: unknown field {sorted(unknown)[0]!r}")
    raw_id = raw.get("id")
    client_id = parse_uuid(raw_id, "id")
    base_id = parse_uuid(raw["base_id"], "base_id") if raw.get("base_id") is not None else None
    kind = raw.get("kind")
    if kind not in {k.value for k in SyncKind}:
        raise Invalid("malformed item: kind must be 'assessment' or 'observation'")
    base_version = raw.get("base_version")
    if base_version is not None and not (_is_int(base_version) and base_version >= 0):
        raise Invalid("malformed item: base_version must be a whole number or null")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise Invalid("malformed item: payload must be an object")
    try:
        digest = payload_hash(kind, payload)
    except ValueError:
        raise Invalid("malformed item: payload contains a number JSON cannot hold") from None
    return Item(raw_id, client_id, SyncKind(kind), base_version, payload, digest, base_id)


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
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"malformed payload: {name} must be a whole number")
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
    if vulnerability is not None and vulnerability not in {v.value for v in Vulnerability}:
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
