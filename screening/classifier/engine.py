"""The classifier engine: a rule set compiled for one instrument, and `classify`.

Compiling turns the rule set into a `Plan`: lookup tables from item key to statement or rating
spec, band tables indexed by score, key sets per rule. A call then reads the answers once,
runs the compiled rules in rule-set order (each may only raise the position) and builds the
result. Reason texts are rendered only when read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any, NoReturn

from screening.classifier._load import join_da, join_en
from screening.classifier.errors import AnswerError, ObservationError, RuleSetError
from screening.classifier.instruments import BandSet, Instrument, Item, Scale, parse_bands
from screening.classifier.observations import Observation, ObservationCatalogue
from screening.classifier.positions import (
    _SEVERITY,
    DOMAINS,
    POSITIONS,
    PROFESSION_ORDER,
    VULNERABILITY_LABELS,
    Position,
    Vulnerability,
)
from screening.classifier.results import Classification, Reason
from screening.classifier.rules import (
    HistoryRule,
    ObservationsRule,
    Rule,
    RuleSet,
    ScoreBandRule,
    StatementsRule,
    VulnerabilityRule,
    register_compiler,
    rule_applies,
)

_SEV: dict[str, int] = _SEVERITY


def _details(reason: Reason) -> Mapping[str, Any]:
    """The facts of a reason whose rule always records some (score bands, vulnerability,
    history)."""
    if reason.details is None:
        raise ValueError(f"reason {reason.rule_id!r} has no details")
    return reason.details


_SEV_KEYS = frozenset(_SEV)
DOMAIN_BITS: dict[str, int] = {d: 1 << i for i, d in enumerate(DOMAINS)}
_VULN: dict[str, int] = {"not": 0, "potentially": 1, "clearly": 2}
# What a compiled rule needs in order to fire; rules whose needs are absent are skipped.
_NEED_ANSWERS = 1
_NEED_OBSERVATIONS = 2
_NEED_HISTORY = 4
_NEED_VULNERABILITY = 8
_NO_TICKS: tuple[Item, ...] = ()
_TRUE_FALSE = frozenset((True, False))
_NO_HITS: frozenset[str] = frozenset()
_INDEX = attrgetter("index")
_NO_SCORES: list[int] = []


def _is_true_or_false(value: Any) -> bool:
    """True/False, or a value equal to one of them (1, 0), as the fast check accepts."""
    try:
        return value in _TRUE_FALSE
    except TypeError:
        return False


def _tuple_getter(keys: tuple[str, ...]) -> Any:
    """A C-level function mapping -> tuple of the values at keys (KeyError if one is missing)."""
    if len(keys) == 1:
        get_one = itemgetter(keys[0])
        return lambda m: (get_one(m),)
    return itemgetter(*keys) if keys else (lambda m: ())


_POS_DA = ("grøn", "gul", "rød")
_POS_DA_NEUTER = ("grønt", "gult", "rødt")
_POS_DA_PLURAL = ("grønne", "gule", "røde")
_POS_EN = ("green", "yellow", "red")
# What a flag means, in words (the flag's key is never shown).
_FLAG_TEXT = {
    "escalate": (
        "Bør drøftes på næste niveau i handlevejen.",
        "Should be discussed at the next level of the action path.",
    )
}


def classify(
    instrument: Instrument,
    ruleset: RuleSet,
    answers: Mapping[str, bool | int | str | None],
    observations: Sequence[Observation] = (),
    history: Sequence[Position | str] = (),
    vulnerability: Vulnerability | str | None = None,
    *,
    as_of: date | None = None,
) -> Classification:
    """Suggest a position for one assessment. See the package docstring for the arguments."""
    plan = ruleset._plans.get(instrument)
    if plan is None:
        plan = ruleset.compile(instrument)
    return plan.run(answers, observations, history, vulnerability, as_of)


class _State:
    """What the compiled rules of one call read and write."""

    __slots__ = (
        "answers",
        "area_scores",
        "as_of",
        "dmask",
        "flags",
        "history",
        "observations",
        "reasons",
        "ticked",
        "values",
        "vulnerability",
        "wellbeing",
    )

    def __init__(
        self,
        answers: Mapping[str, Any],
        ticked: Sequence[Item],
        values: tuple[int, ...],
        area_scores: list[int],
        observations: Sequence[Observation],
        history: Sequence[str],
        vulnerability: int | None,
        as_of: date | None,
    ):
        self.answers = answers
        self.ticked = ticked
        self.values = values  # ratings in the plan's rated-key order (score instruments)
        self.area_scores = area_scores
        self.observations = observations
        self.history = history
        self.vulnerability = vulnerability
        self.as_of = as_of
        self.reasons: list[Reason] = []
        self.flags: list[str] = []
        self.wellbeing = 0
        self.dmask = 0  # bit set of the concern domains named by the reasons


# --------------------------------------------------------------------------- compiled rules


class _Compiled:
    """Base of a compiled rule: the effect (then / raise / flag) and the label prefix."""

    need = 0

    def __init__(self, rule: Rule, plan: Plan):
        self.rule = rule
        self.id = rule.id
        self.plan = plan
        self.then = rule.then.severity if rule.then is not None else None
        self.raise_by = rule.raise_by
        self.flag = rule.flag

    def asserted(self, pos: int) -> int:
        """The position this rule asserts when it fires at current position ``pos``."""
        if self.then is not None:
            return self.then
        if self.raise_by:
            return min(2, pos + self.raise_by)
        return pos

    def apply(self, st: _State, pos: int) -> int:
        raise NotImplementedError

    def render(self, reason: Reason) -> tuple[str, str]:
        da, en = self.sentence(reason)
        label = self.rule.label
        if label is not None:
            da, en = f"{label.da}: {da}", f"{label.en}: {en}"
        return da, en

    def sentence(self, reason: Reason) -> tuple[str, str]:
        raise NotImplementedError

    def effect_text(self, reason: Reason) -> tuple[str, str]:
        sev = reason.position.severity
        before = (reason.details or {}).get("from")
        parts_da: list[str] = []
        parts_en: list[str] = []
        if self.then is not None:
            if sev == 2:
                parts_da.append("Det giver rød position.")
                parts_en.append("This gives a red position.")
            else:
                parts_da.append(f"Det giver mindst {_POS_DA[sev]} position.")
                parts_en.append(f"This gives at least a {_POS_EN[sev]} position.")
        elif self.raise_by and before is not None:
            b = _SEV[before]
            if sev == b:
                parts_da.append(f"Positionen er allerede {_POS_DA[sev]}.")
                parts_en.append(f"The position is already {_POS_EN[sev]}.")
            else:
                steps_da = "ét trin" if sev - b == 1 else f"{sev - b} trin"
                steps_en = "one step" if sev - b == 1 else f"{sev - b} steps"
                parts_da.append(
                    f"Det hæver positionen {steps_da} fra {_POS_DA[b]} til {_POS_DA[sev]}."
                )
                parts_en.append(
                    f"This raises the position {steps_en} from {_POS_EN[b]} to {_POS_EN[sev]}."
                )
        if self.flag is not None and self.flag in _FLAG_TEXT:
            fda, fen = _FLAG_TEXT[self.flag]
            parts_da.append(fda)
            parts_en.append(fen)
        return " ".join(parts_da), " ".join(parts_en)


def _quote_items(items: Iterable[Item], lang: str) -> str:
    if lang == "da":
        return "; ".join(f"»{i.text.da.rstrip('.')}«" for i in items)
    return "; ".join(f"“{i.text.en.rstrip('.')}”" for i in items)


class _CStatements(_Compiled):
    need = _NEED_ANSWERS

    def __init__(self, rule: StatementsRule, plan: Plan, matching: Sequence[Item]):
        super().__init__(rule, plan)
        self.items = frozenset(matching)  # identity-hashed Item objects
        self.min_count = rule.min_count
        self.min_areas = rule.min_areas
        self.per_area = rule.min_count == 1 and rule.min_areas == 1
        self.positions = rule.positions
        # Precomputed reason parts for the common case of one ticked statement in an area,
        # and with a fixed position (``then``) the whole (immutable) reason.
        self.single = {
            i: ((plan.areas[i.area_index].key,), (i.key,), (i.domain,), DOMAIN_BITS[i.domain])
            for i in matching
        }
        self.single_reason = (
            {
                i: Reason(self.id, POSITIONS[self.then], areas, keys, (), None, domains, self)
                for i, (areas, keys, domains, _) in self.single.items()
            }
            if self.then is not None and self.per_area
            else {}
        )

    def apply(self, st: _State, pos: int) -> int:
        matched = list(filter(self.items.__contains__, st.ticked))
        if len(matched) < self.min_count:  # min_count >= 1
            return pos
        if self.min_areas > 1 and len({i.area_index for i in matched}) < self.min_areas:
            return pos
        new = self.asserted(pos)
        reasons = st.reasons
        if len(matched) == 1 and self.single_reason:
            # The common case: one statement, fixed position; the reason is precomputed.
            item = matched[0]
            reasons.append(self.single_reason[item])
            st.dmask |= self.single[item][3]
        elif self.per_area:
            position = POSITIONS[new]
            details = {"from": _POS_EN[pos]} if self.raise_by else None
            # `ticked` is in instrument order, so each area's statements are contiguous.
            group = [matched[0]]
            for i in matched[1:]:
                if i.area_index == group[0].area_index:
                    group.append(i)
                else:
                    reasons.append(self._reason(st, group, position, details))
                    group = [i]
            reasons.append(self._reason(st, group, position, details))
        else:
            position = POSITIONS[new]
            details = {"from": _POS_EN[pos]} if self.raise_by else None
            reasons.append(self._reason(st, matched, position, details))
        if self.flag is not None:
            st.flags.append(self.flag)
        if new > st.wellbeing:
            st.wellbeing = new
        return new if new > pos else pos

    def _reason(
        self, st: _State, group: list[Item], position: Position, details: dict[str, Any] | None
    ) -> Reason:
        if len(group) == 1:
            item = group[0]
            areas, keys, domains, mask = self.single[item]
            st.dmask |= mask
            if self.then is not None:
                return self.single_reason[item]
            return Reason(self.id, position, areas, keys, (), details, domains, self)
        area_keys = self.plan.area_keys
        group_domains = tuple(dict.fromkeys(i.domain for i in group))
        for d in group_domains:
            st.dmask |= DOMAIN_BITS[d]
        return Reason(
            self.id,
            position,
            tuple(dict.fromkeys(area_keys[i.area_index] for i in group)),
            tuple(i.key for i in group),
            (),
            details,
            group_domains,
            self,
        )

    def sentence(self, reason: Reason) -> tuple[str, str]:
        inst = self.plan.instrument
        items = [inst.item(k) for k in reason.items]
        n = len(items)
        sevs = sorted({i.position.severity for i in items if i.position is not None})
        if n == 1:
            s = sevs[0]
            what_da = f"et {_POS_DA_NEUTER[s]} udsagn"
            what_en = f"a {_POS_EN[s]} statement"
        else:
            what_da = f"{n} {' og '.join(_POS_DA_PLURAL[s] for s in sevs)} udsagn"
            what_en = f"{n} {' and '.join(_POS_EN[s] for s in sevs)} statements"
        titles = [inst.area(a).title for a in reason.areas]
        if len(titles) == 1:
            where_da = f"i området {titles[0].da}"
            where_en = f"in the area {titles[0].en}"
        else:
            where_da = f"i {len(titles)} områder ({join_da([t.da for t in titles])})"
            where_en = f"in {len(titles)} areas ({join_en([t.en for t in titles])})"
        da = f"Der er sat kryds ved {what_da} {where_da}: {_quote_items(items, 'da')}."
        en = f"{what_en[0].upper()}{what_en[1:]} {'is' if n == 1 else 'are'} ticked {where_en}: "
        en += f"{_quote_items(items, 'en')}."
        if not self.per_area:
            need_da, need_en = [], []
            if self.min_count > 1:
                need_da.append(f"mindst {self.min_count} udsagn")
                need_en.append(f"at least {self.min_count} statements")
            if self.min_areas > 1:
                need_da.append(f"udsagn i mindst {self.min_areas} områder")
                need_en.append(f"statements in at least {self.min_areas} areas")
            da += f" Reglen kræver {' og '.join(need_da)}."
            en += f" The rule needs {' and '.join(need_en)}."
        eda, een = self.effect_text(reason)
        return f"{da} {eda}".strip(), f"{en} {een}".strip()


class _BandEntry:
    """One band set a score-band rule checks: an area's (``area_index`` >= 0) or the total.

    ``start``/``end`` select its items' ratings from the plan's rating tuple."""

    __slots__ = (
        "area_index",
        "area_key",
        "bad",
        "band_table",
        "bandset",
        "domains",
        "end",
        "flip",
        "keys",
        "lead",
        "lo",
        "named",
        "order",
        "start",
        "table",
    )

    def __init__(
        self,
        plan: Plan,
        area_index: int,
        area_key: str | None,
        area_domain: str | None,
        bandset: BandSet,
        start: int,
        end: int,
    ):
        self.area_index = area_index  # -1 for the total
        self.area_key = area_key
        self.lead = (area_domain,) if area_domain is not None else ()
        self.bandset = bandset
        self.start, self.end = start, end
        rated = list(plan.rated_items.values())[start:end]
        # For higher_is_worse bands: score = flip - (the higher_is_better sum)
        self.flip = (
            sum(i.scale.min + i.scale.max for i in rated)  # type: ignore[union-attr,misc]
            if bandset.direction == "higher_is_worse"
            else None
        )
        self.lo = bandset.min_score
        self.table = bandset._table
        self.band_table = (
            tuple(b for b in bandset.bands for _ in range(b.min, b.max + 1))
            if bandset._table is not None
            else None
        )
        # Per item, the ratings in the worse half of its scale (named in the reason).
        self.keys = tuple(i.key for i in rated)
        self.bad = tuple(
            frozenset(
                v
                for v in range(i.scale.min, i.scale.max + 1)  # type: ignore[union-attr]
                if i.concern(v) * 2 > i.scale.max - i.scale.min  # type: ignore[union-attr]
            )
            for i in rated
        )
        self.domains = tuple(i.domain for i in rated)
        in_order = [i.index for i in rated] == sorted(i.index for i in rated)
        self.order = None if in_order else {i.key: i.index for i in rated}
        # Which-ratings-are-bad pattern -> (item keys, domains, domain bit mask), memoised.
        self.named: dict[tuple[bool, ...], tuple[tuple[str, ...], tuple[str, ...], int]] = {}

    def name(self, is_bad: tuple[bool, ...]) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        keys = tuple(compress(self.keys, is_bad))
        if self.order is not None:
            keys = tuple(sorted(keys, key=self.order.__getitem__))
        domains = tuple(dict.fromkeys((*self.lead, *compress(self.domains, is_bad))))
        mask = 0
        for d in domains:
            mask |= DOMAIN_BITS[d]
        result = (keys, domains, mask)
        if len(self.named) < 4096:
            self.named[is_bad] = result
        return result


_contains = frozenset.__contains__


class _CScoreBand(_Compiled):
    need = _NEED_ANSWERS

    def __init__(self, rule: ScoreBandRule, plan: Plan, entries: list[_BandEntry]):
        super().__init__(rule, plan)
        self.entries = tuple((e.area_index, e.flip, e.table, e.lo, e) for e in entries)

    def apply(self, st: _State, pos: int) -> int:
        best = pos
        fired = False
        scores = st.area_scores
        for area_index, flip, table, lo, e in self.entries:
            s = scores[area_index] if area_index >= 0 else sum(scores)
            if flip is not None:
                s = flip - s
            sev = table[s - lo] if table is not None else e.bandset.severity_for(s)
            if sev:
                fired = True
                self._fire(st, e, s, sev)
                if sev > best:
                    best = sev
        if fired and self.flag is not None:
            st.flags.append(self.flag)
        if best > st.wellbeing:
            st.wellbeing = best
        return best

    def _fire(self, st: _State, e: _BandEntry, score: int, sev: int) -> None:
        band = e.band_table[score - e.lo] if e.band_table is not None else e.bandset.band_for(score)
        is_bad = tuple(map(_contains, e.bad, st.values[e.start : e.end]))
        named = e.named.get(is_bad)
        if named is None:
            named = e.name(is_bad)
        keys, domains, mask = named
        st.dmask |= mask
        st.reasons.append(
            Reason(
                self.id,
                POSITIONS[sev],
                (e.area_key,) if e.area_key is not None else (),
                keys,
                (),
                {
                    "scope": "area" if e.area_key is not None else "total",
                    "score": score,
                    "band": [band.min, band.max],
                },
                domains,
                self,
            )
        )

    def sentence(self, reason: Reason) -> tuple[str, str]:
        inst = self.plan.instrument
        d = _details(reason)
        sev = reason.position.severity
        lo, hi = d["band"]
        if reason.areas:
            t = inst.area(reason.areas[0]).title
            da = (
                f"Området {t.da} har scoren {d['score']}, som ligger i det "
                f"{_POS_DA_PLURAL[sev]} interval ({lo}–{hi})."
            )
            en = (
                f"The area {t.en} scores {d['score']}, which is in the {_POS_EN[sev]} band "
                f"({lo}–{hi})."
            )
        else:
            da = (
                f"Den samlede score er {d['score']}, som ligger i det {_POS_DA_PLURAL[sev]} "
                f"interval ({lo}–{hi})."
            )
            en = (
                f"The total score is {d['score']}, which is in the {_POS_EN[sev]} band ({lo}–{hi})."
            )
        if reason.items:
            items = [inst.item(k) for k in reason.items]
            da += f" Svar i den bekymrende ende af skalaen: {_quote_items(items, 'da')}."
            en += f" Answers at the concerning end of the scale: {_quote_items(items, 'en')}."
        if sev == 2:
            da += " Det giver rød position."
            en += " This gives a red position."
        else:
            da += f" Det giver mindst {_POS_DA[sev]} position."
            en += f" This gives at least a {_POS_EN[sev]} position."
        if self.flag is not None and self.flag in _FLAG_TEXT:
            fda, fen = _FLAG_TEXT[self.flag]
            da += f" {fda}"
            en += f" {fen}"
        return da, en


class _CObservations(_Compiled):
    need = _NEED_OBSERVATIONS

    def __init__(self, rule: ObservationsRule, plan: Plan):
        super().__init__(rule, plan)
        self.allowed = rule.allowed
        self.min_level = rule.min_level
        self.min_count = rule.min_count
        self.min_sources = rule.min_sources
        self.within = timedelta(days=rule.within_days) if rule.within_days is not None else None
        self.spec = rule

    def apply(self, st: _State, pos: int) -> int:
        obs = st.observations
        if not obs:
            return pos
        allowed = self.allowed
        min_level = self.min_level
        as_of = st.as_of
        if self.within is not None and as_of is not None:
            first = as_of - self.within
            matched = [
                o
                for o in obs
                if o.level >= min_level
                and (o.source, o.category) in allowed
                and first <= o.observed_on <= as_of
            ]
        else:
            matched = [o for o in obs if o.level >= min_level and (o.source, o.category) in allowed]
        if len(matched) < self.min_count:
            return pos
        if self.min_sources > 1 and len({o.source for o in matched}) < self.min_sources:
            return pos
        matched.sort(key=lambda o: (o.observed_on, o.source, o.category, o.level))
        new = self.asserted(pos)
        cats = self.plan.categories
        domains = tuple(dict.fromkeys(cats.category(o.source, o.category).domain for o in matched))
        for d in domains:
            st.dmask |= DOMAIN_BITS[d]
        st.reasons.append(
            Reason(
                self.id,
                POSITIONS[new],
                (),
                (),
                tuple(matched),
                {"from": _POS_EN[pos]} if self.raise_by else None,
                domains,
                self,
            )
        )
        if self.flag is not None:
            st.flags.append(self.flag)
        return new if new > pos else pos

    def sentence(self, reason: Reason) -> tuple[str, str]:
        cats = self.plan.categories
        obs = reason.observations

        def one(o: Observation, lang: str, with_source: bool) -> str:
            c = cats.category(o.source, o.category)
            if lang == "da":
                src = f"{cats.sources[o.source].title.da}, " if with_source else ""
                return f"»{c.title.da}« ({src}niveau {o.level}, {o.observed_on:%d.%m.%Y})"
            src = f"{cats.sources[o.source].title.en}, " if with_source else ""
            return f"“{c.title.en}” ({src}level {o.level}, {o.observed_on.isoformat()})"

        if len(obs) == 1:
            o = obs[0]
            c = cats.category(o.source, o.category)
            s = cats.sources[o.source].title
            da = (
                f"{s.da} har registreret »{c.title.da}« med bekymringsniveau {o.level} "
                f"({o.observed_on:%d.%m.%Y})."
            )
            en = (
                f"{s.en} recorded “{c.title.en}” with concern level {o.level} "
                f"({o.observed_on.isoformat()})."
            )
        else:
            srcs = list(dict.fromkeys(o.source for o in obs))
            tda = [cats.sources[s].title.da for s in srcs]
            ten = [cats.sources[s].title.en for s in srcs]
            ml = self.min_level
            level_da = f" med bekymringsniveau mindst {ml}" if ml > 1 else ""
            level_en = f" with concern level {ml} or higher" if ml > 1 else ""
            if len(srcs) == 1:
                from_da, from_en = f"fra {tda[0]}", f"from {ten[0]}"
            else:
                from_da = f"fra {len(srcs)} kilder ({join_da(tda)})"
                from_en = f"from {len(srcs)} sources ({join_en(ten)})"
            many = len(srcs) > 1
            da = (
                f"Der er {len(obs)} observationer{level_da} {from_da}: "
                f"{'; '.join(one(o, 'da', many) for o in obs)}."
            )
            en = (
                f"There are {len(obs)} observations{level_en} {from_en}: "
                f"{'; '.join(one(o, 'en', many) for o in obs)}."
            )
        eda, een = self.effect_text(reason)
        return f"{da} {eda}".strip(), f"{en} {een}".strip()


class _CVulnerability(_Compiled):
    need = _NEED_VULNERABILITY

    def __init__(self, rule: VulnerabilityRule, plan: Plan):
        super().__init__(rule, plan)
        self.matrix = rule.matrix

    def apply(self, st: _State, pos: int) -> int:
        v = st.vulnerability
        if v is None:
            return pos
        new = self.matrix[v][pos]
        if new > pos or (v > 0 and new > 0):
            st.dmask |= DOMAIN_BITS["family"]
            st.reasons.append(
                Reason(
                    self.id,
                    POSITIONS[new],
                    (),
                    (),
                    (),
                    {
                        "vulnerability": ("not", "potentially", "clearly")[v],
                        "from": _POS_EN[pos],
                    },
                    ("family",),
                    self,
                )
            )
            if self.flag is not None:
                st.flags.append(self.flag)
        return new

    def sentence(self, reason: Reason) -> tuple[str, str]:
        v = _details(reason)["vulnerability"]
        vda, ven = VULNERABILITY_LABELS[v]
        b = _SEV[_details(reason)["from"]]
        s = reason.position.severity
        if s > b:
            da = (
                f"Barnet er {vda}; sammen med en {_POS_DA[b]} vurdering giver det "
                f"{_POS_DA[s]} position."
            )
            en = (
                f"The child is {ven}; combined with a {_POS_EN[b]} assessment this gives a "
                f"{_POS_EN[s]} position."
            )
        else:
            da = (
                f"Barnet er {vda}, og vurderingen er {_POS_DA[s]}; positionen forbliver "
                f"{_POS_DA[s]}."
            )
            en = (
                f"The child is {ven} and the assessment is {_POS_EN[s]}; the position stays "
                f"{_POS_EN[s]}."
            )
        if self.flag is not None and self.flag in _FLAG_TEXT:
            fda, fen = _FLAG_TEXT[self.flag]
            da += f" {fda}"
            en += f" {fen}"
        return da, en


class _CHistory(_Compiled):
    need = _NEED_HISTORY

    def __init__(self, rule: HistoryRule, plan: Plan):
        super().__init__(rule, plan)
        self.min_sev = rule.min_position.severity
        self.previous = rule.rounds - 1

    def apply(self, st: _State, pos: int) -> int:
        hist = st.history
        k = self.previous
        if pos < self.min_sev or len(hist) < k:
            return pos
        earlier = list(map(_SEV.__getitem__, hist[-k:]))
        if min(earlier) < self.min_sev:
            return pos
        new = self.asserted(pos)
        st.reasons.append(
            Reason(
                self.id,
                POSITIONS[new if new > pos else pos],
                (),
                (),
                (),
                {
                    "rounds": k + 1,
                    "positions": [_POS_EN[h] for h in earlier] + [_POS_EN[pos]],
                    "from": _POS_EN[pos],
                },
                (),
                self,
            )
        )
        if self.flag is not None:
            st.flags.append(self.flag)
        return new if new > pos else pos

    def sentence(self, reason: Reason) -> tuple[str, str]:
        d = _details(reason)
        n = d["rounds"]
        seq = [_SEV[p] for p in d["positions"]]
        if self.min_sev == 2:
            cond_da, cond_en = "rød", "red"
        else:
            cond_da, cond_en = "gul eller rød", "yellow or red"
        seq_da = " → ".join(_POS_DA[s] for s in seq)
        seq_en = " → ".join(_POS_EN[s] for s in seq)
        da = (
            f"Positionen har været {cond_da} i {n} runder i træk ({seq_da}, "
            f"den sidste er denne runde)."
        )
        en = (
            f"The position has been {cond_en} for {n} consecutive rounds ({seq_en}, "
            f"the last being this round)."
        )
        eda, een = self.effect_text(reason)
        return f"{da} {eda}".strip(), f"{en} {een}".strip()


# --------------------------------------------------------------------------- the plan


class Plan:
    """A rule set compiled for one instrument. Use `RuleSet.compile` (cached) to get one."""

    def __init__(self, ruleset: RuleSet, instrument: Instrument):
        self.ruleset = ruleset
        self.instrument = instrument
        self.categories: ObservationCatalogue = ruleset.categories
        self.areas = instrument.areas
        self.indicator = instrument.kind == "indicator"
        items = instrument.items
        self.keyset = frozenset(i.key for i in items)
        self.text_keys = tuple(i.key for i in items if i.kind == "text")
        # Indicator instruments: the yellow and red statements in instrument order.
        self.concern = tuple(
            i
            for i in items
            if i.kind == "indicator" and i.position is not None and i.position.severity
        )
        self.statement_keys = frozenset(i.key for i in items if i.kind == "indicator")
        self.concern_keyset = frozenset(i.key for i in self.concern)
        self.concern_by_key = {i.key: i for i in self.concern}
        self.scored_keys = frozenset(i.key for i in items if i.kind != "text")
        # Score instruments: rated keys grouped by area, higher_is_better ones first, so each
        # area's score (oriented higher_is_better) is sum(vals[s:m]) - sum(vals[m:e]) + const.
        rated = [i for i in items if i.kind == "rated" and i.scale is not None]
        rated.sort(key=lambda i: (i.area_index, i.direction != "higher_is_better", i.index))
        self.rated_items = {i.key: i for i in rated}
        self.rated_keys = tuple(i.key for i in rated)
        self.area_slices: list[tuple[int, int, int, int]] = []
        start = 0
        for area in instrument.areas:
            area_rated = [i for i in rated if i.area_index == area.index]
            better = sum(1 for i in area_rated if i.direction == "higher_is_better")
            const = sum(
                i.scale.min + i.scale.max  # type: ignore[union-attr,misc]
                for i in area_rated
                if i.direction != "higher_is_better"
            )
            self.area_slices.append((start, start + better, start + len(area_rated), const))
            start += len(area_rated)
        scales = {(i.scale.min, i.scale.max) for i in rated}  # type: ignore[union-attr]
        # When all rated items share one scale: its values, to check ratings in one C loop.
        self.one_scale = (
            frozenset(range(min(scales)[0], min(scales)[1] + 1)) if len(scales) == 1 else None
        )
        self.rules: list[_Compiled] = []
        self._by_need: dict[int, tuple[_Compiled, ...]] = {}
        self.action_paths = tuple(ruleset.action_paths.get(p) for p in POSITIONS)
        self.professions = {d: tuple(ps) for d, ps in ruleset.professions.items()}
        self._by_mask: dict[int, tuple[str, ...]] = {}
        self.observation_pairs = frozenset(
            (c.source, c.key) for c in ruleset.categories.all_categories()
        )
        # Per vulnerability level: can a vulnerability rule fire at all? (Set by compile_plan.)
        self.vulnerability_matters = (True, True, True)
        self.text_set = frozenset(self.text_keys)
        self.area_keys = tuple(a.key for a in instrument.areas)
        self.n_rated = len(self.rated_keys)
        self.rated_getter = _tuple_getter(self.rated_keys)
        # The shared result when no rule fires (results are immutable).
        self.nothing = Classification(
            Position.GREEN,
            (),
            (),
            self.action_paths[0],
            ruleset.key,
            ruleset.version,
            (),
            instrument.key,
            instrument.version,
            Position.GREEN,
        )

    # -- answers
    def _answer_error(self, key: str, problem: str) -> NoReturn:
        raise AnswerError(problem, source=f"answers for {self.instrument.ident}", path=repr(key))

    def _check_slowly(self, answers: Mapping[str, Any]) -> None:
        """Find and raise the first problem in the answers, item by item."""
        for key, value in answers.items():
            if key not in self.keyset:
                self._answer_error(key, f"unknown item (not in {self.instrument.ident})")
            if key in self.statement_keys:
                if not _is_true_or_false(value):
                    self._answer_error(key, f"a statement is answered true or false, got {value!r}")
            elif key in self.rated_items:
                scale = self.rated_items[key].scale or Scale(0, 0)
                if type(value) is not int or not scale.min <= value <= scale.max:
                    self._answer_error(
                        key,
                        f"must be an integer rating from {scale.min} to {scale.max}, got {value!r}",
                    )
            elif value is not None and type(value) is not str:
                self._answer_error(key, f"a text item is answered with a string, got {value!r}")
        missing = [k for k in self.rated_keys if k not in answers]
        if missing:
            raise AnswerError(
                f"missing ratings for {len(missing)} item(s): {', '.join(missing)}",
                source=f"answers for {self.instrument.ident}",
            )
        raise AssertionError("answers failed the fast check but no problem was found")

    # -- running
    def _rules_for(self, need: int) -> tuple[_Compiled, ...]:
        rules = tuple(r for r in self.rules if r.need & need)
        self._by_need[need] = rules
        return rules

    def run(
        self,
        answers: Mapping[str, Any],
        observations: Sequence[Observation],
        history: Sequence[Position | str],
        vulnerability: Vulnerability | str | None,
        as_of: date | None,
    ) -> Classification:
        if type(answers) is not dict and not isinstance(answers, Mapping):
            raise AnswerError(f"answers must be a mapping, got {type(answers).__name__}")
        # Read and check the answers with C-level loops; `_check_slowly` finds the exact
        # problem when a fast check fails.
        # One set pass: are all keys scored items (the common case, no text answers)?
        text_present: tuple[str, ...] = ()
        if not self.scored_keys.issuperset(answers):
            if not self.keyset.issuperset(answers):
                self._check_slowly(answers)
            text_present = tuple(k for k in self.text_keys if k in answers)
            for k in text_present:
                v = answers[k]
                if v is not None and type(v) is not str:
                    self._check_slowly(answers)
        scores: list[int] = _NO_SCORES
        vals: tuple[int, ...] = ()
        if self.indicator:
            # Every other answer is a statement: its value must equal True or False.
            values = answers.values()
            if text_present:
                rest = dict(answers)
                for k in text_present:
                    del rest[k]
                values = rest.values()
            try:
                ok = _TRUE_FALSE.issuperset(values)
            except TypeError:  # an unhashable value
                ok = False
            if not ok:
                self._check_slowly(answers)
            # The ticked yellow/red statements, in instrument order.
            hits = self.concern_keyset.intersection(compress(answers, answers.values()))
            if hits:
                ticked: Sequence[Item] = sorted(
                    map(self.concern_by_key.__getitem__, hits), key=_INDEX
                )
                need = _NEED_ANSWERS
            else:
                ticked = _NO_TICKS
                need = 0
        else:
            try:
                vals = self.rated_getter(answers)
            except KeyError:
                self._check_slowly(answers)
            if list(map(type, vals)).count(int) != self.n_rated:
                self._check_slowly(answers)
            if self.one_scale is not None:
                if not self.one_scale.issuperset(vals):
                    self._check_slowly(answers)
            else:
                for item, v in zip(self.rated_items.values(), vals, strict=True):
                    if not item.scale.min <= v <= item.scale.max:  # type: ignore[union-attr]
                        self._check_slowly(answers)
            # Each area's score, oriented higher_is_better.
            scores = [sum(vals[s:m]) - sum(vals[m:e]) + c for s, m, e, c in self.area_slices]
            ticked = _NO_TICKS
            need = _NEED_ANSWERS
        if observations:
            valid = self.observation_pairs
            for o in observations:
                if type(o) is not Observation:
                    raise ObservationError(f"expected an Observation, got {type(o).__name__}")
                if (o.source, o.category) not in valid:
                    self.categories.validate(o)
            need |= _NEED_OBSERVATIONS
        if history:
            if not _SEV_KEYS.issuperset(history):
                bad = next(h for h in history if not isinstance(h, str) or h not in _SEV)
                raise ValueError(f"history entries must be green, yellow or red, got {bad!r}")
            # History rules need the previous round(s) at yellow or worse.
            if history[-1] != "green":
                need |= _NEED_HISTORY
        vuln = None
        if vulnerability is not None:
            vuln = _VULN.get(vulnerability) if isinstance(vulnerability, str) else None
            if vuln is None:
                raise ValueError(
                    f"vulnerability must be not, potentially, clearly or None, got "
                    f"{vulnerability!r}"
                )
            if self.vulnerability_matters[vuln]:
                need |= _NEED_VULNERABILITY

        rules = self._by_need.get(need)
        if rules is None:
            rules = self._rules_for(need)
        if not rules:
            return self.nothing
        st = _State(answers, ticked, vals, scores, observations, history, vuln, as_of)
        pos = 0
        for rule in rules:
            pos = rule.apply(st, pos)
        reasons = st.reasons
        if not reasons and not st.flags:
            return self.nothing
        professions = self._by_mask.get(st.dmask)
        if professions is None:
            professions = self._professions(st.dmask)
        return Classification(
            POSITIONS[pos],
            tuple(reasons),
            professions,
            self.action_paths[pos],
            self.ruleset.key,
            self.ruleset.version,
            tuple(dict.fromkeys(st.flags)) if st.flags else (),
            self.instrument.key,
            self.instrument.version,
            POSITIONS[st.wellbeing],
        )

    def _professions(self, mask: int) -> tuple[str, ...]:
        domains = [d for d, bit in DOMAIN_BITS.items() if mask & bit]
        found = {p for d in domains for p in self.professions.get(d, ())}
        result = tuple(sorted(found, key=PROFESSION_ORDER.__getitem__))
        self._by_mask[mask] = result
        return result


# --------------------------------------------------------------------------- compiling


def compile_plan(ruleset: RuleSet, instrument: Instrument) -> Plan:
    """Compile and check a rule set for one instrument; raises RuleSetError."""
    where = f"for instrument {instrument.ident}"

    def fail(path: str, problem: str) -> NoReturn:
        raise RuleSetError(f"{problem} {where}", source=ruleset.source, path=path or None)

    if not ruleset.applies_to(instrument):
        fail("instruments", f"rule set {ruleset.ident} does not apply")
    plan = Plan(ruleset, instrument)

    area_bands = dict(instrument.area_bands)
    total_bands = instrument.total_bands
    if instrument.key in ruleset.band_overrides:
        if instrument.kind != "score":
            fail(f"band_overrides.{instrument.key}", "bands only apply to score instruments,")
        from screening.classifier._load import Reader

        r = Reader(RuleSetError, ruleset.source)
        try:
            o_areas, o_total = parse_bands(
                r,
                ruleset.band_overrides[instrument.key],
                f"band_overrides.{instrument.key}",
                instrument.areas,
            )
        except RuleSetError as exc:
            raise RuleSetError(f"{exc.problem} {where}", source=exc.source, path=exc.path) from None
        area_bands.update(o_areas)
        if o_total is not None:
            total_bands = o_total

    for rule in ruleset.rules:
        if not rule_applies(rule, instrument):
            continue
        p = rule.path
        if isinstance(rule, StatementsRule):
            plan.rules.append(_compile_statements(rule, plan, fail))
        elif isinstance(rule, ScoreBandRule):
            entries: list[_BandEntry] = []
            if rule.scope == "areas":
                keys = rule.areas if rule.areas is not None else tuple(area_bands)
                for i, akey in enumerate(keys):
                    if not instrument.has_area(akey):
                        fail(f"{p}.areas[{i}]", f"unknown area {akey!r}")
                    if akey not in area_bands:
                        fail(f"{p}.areas[{i}]", f"area {akey!r} has no bands")
                    area = instrument.area(akey)
                    start, _, end, _ = plan.area_slices[area.index]
                    entries.append(
                        _BandEntry(
                            plan, area.index, akey, area.domain, area_bands[akey], start, end
                        )
                    )
                if not entries:
                    fail(p, f"rule {rule.id!r} can never fire: no area has bands")
            else:
                if total_bands is None:
                    fail(p, f"rule {rule.id!r} can never fire: there are no total bands")
                entries.append(_BandEntry(plan, -1, None, None, total_bands, 0, plan.n_rated))
            if not any(b.position.severity for e in entries for b in e.bandset.bands):
                fail(p, f"rule {rule.id!r} can never fire: every band is green")
            plan.rules.append(_CScoreBand(rule, plan, entries))
        elif isinstance(rule, ObservationsRule):
            plan.rules.append(_CObservations(rule, plan))
        elif isinstance(rule, VulnerabilityRule):
            plan.rules.append(_CVulnerability(rule, plan))
        elif isinstance(rule, HistoryRule):
            plan.rules.append(_CHistory(rule, plan))
        else:  # pragma: no cover - the parser only makes the types above
            fail(p, f"unsupported rule type {rule.type!r}")
    matrices = [r.matrix for r in plan.rules if isinstance(r, _CVulnerability)]
    # "not" only matters if some matrix raises a position for it; the others always give a
    # reason when the position is yellow or red.
    plan.vulnerability_matters = (
        any(m[0] != (0, 1, 2) for m in matrices),
        bool(matrices),
        bool(matrices),
    )
    return plan


def _compile_statements(rule: StatementsRule, plan: Plan, fail: Any) -> _CStatements:
    inst = plan.instrument
    p = rule.path
    areas = None
    if rule.areas is not None:
        for i, akey in enumerate(rule.areas):
            if not inst.has_area(akey):
                fail(
                    f"{p}.areas[{i}]",
                    f"unknown area {akey!r} (areas: {', '.join(a.key for a in inst.areas)})",
                )
        areas = set(rule.areas)
    items = None
    if rule.items is not None:
        for i, ikey in enumerate(rule.items):
            if not inst.has_item(ikey):
                fail(f"{p}.items[{i}]", f"unknown item {ikey!r}")
            item = inst.item(ikey)
            if item.kind != "indicator":
                fail(f"{p}.items[{i}]", f"item {ikey!r} is not a statement")
            if item.position not in rule.positions:
                fail(
                    f"{p}.items[{i}]",
                    f"rule {rule.id!r} can never count item {ikey!r}: it is a "
                    f"{item.position} statement and the rule counts "
                    f"{'/'.join(sorted(x.value for x in rule.positions))} statements",
                )
        items = set(rule.items)
    matching = [
        i
        for i in inst.items
        if i.kind == "indicator"
        and i.position in rule.positions
        and (areas is None or i.area in areas)
        and (items is None or i.key in items)
    ]
    which = "/".join(x.value for x in sorted(rule.positions, key=lambda x: x.severity))
    if len(matching) < rule.min_count:
        fail(
            p,
            f"rule {rule.id!r} can never fire: it needs {rule.min_count} {which} statements "
            f"but only {len(matching)} can match",
        )
    n_areas = len({i.area for i in matching})
    if n_areas < rule.min_areas:
        fail(
            p,
            f"rule {rule.id!r} can never fire: it needs {which} statements in "
            f"{rule.min_areas} areas but only {n_areas} area(s) have matching statements",
        )
    return _CStatements(rule, plan, matching)


register_compiler(compile_plan)
