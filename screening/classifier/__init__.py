"""The classifier: answers + observations + history -> a suggested position, with reasons.

Pure Python (standard library + PyYAML). It knows nothing of Flask or the database: the app
loads the data once, passes plain values in and stores ``Classification.to_dict()``.

Loading (validated on load; errors are ValueError subclasses naming file, path and problem)::

    instruments = load_instruments()                 # screening/data/instruments/*.yaml
    rulesets = load_rulesets(instruments=instruments)  # screening/data/rules/*.yaml, by key
    ruleset = load_ruleset(path_or_mapping, instruments=instruments)
    categories = load_observation_categories()      # screening/data/observation_categories.yaml

Classifying one assessment::

    classify(instrument, ruleset, answers, observations=(), history=(), vulnerability=None,
             *, as_of=None) -> Classification

* ``answers``: ``{item_key: value}``. Statements (indicator items): ``True`` when ticked,
  ``False`` or absent when not (``1``/``0`` compare equal to them and are read the same;
  anything else is an error). Rated items: an ``int`` (not a bool) within the item's scale;
  every rated item must be answered. Text items: a ``str`` (or ``None``); never scored.
  Unknown keys, wrong types, missing ratings and out-of-range ratings raise `AnswerError`.
* ``observations``: `Observation` (source, category, level 1-3, observed_on) objects; the
  source/category must exist in the rule set's category catalogue (`ObservationError`).
  Rules with ``within_days`` only count observations in ``[as_of - within_days, as_of]``
  when ``as_of`` is given; without ``as_of`` every observation passed in counts.
* ``history``: the child's earlier *agreed* positions, oldest first.
* ``vulnerability``: `Vulnerability` (or "not"/"potentially"/"clearly") or None if unknown.

`Classification`: ``position``, ``wellbeing_position`` (answers only), ``reasons`` (tuple of
`Reason`: ``rule_id``, ``position``, ``areas``/``area``, ``items``, ``observations``,
``details``, ``domains``, ``text_da``, ``text_en``), ``professions`` (profession keys in the
stable order of `PROFESSIONS`), ``action_path_key`` (None when the rule set maps no action
path to the position; by default green), ``flags`` (e.g. "escalate"), ``ruleset_key``,
``ruleset_version``, ``instrument_key``, ``instrument_version``; ``to_dict()`` is
JSON-serialisable and ``Classification.from_dict`` reads it back.

Joint assessment and override::

    suggest_joint(assessments, ruleset, *, method=None, min_shared=None) -> JointSuggestion
    apply_override(suggestion, chosen_position, reason=None) -> Override

``assessments`` are Positions, Classifications or their dicts. `JointSuggestion` has
``position``, ``reasons``, ``method``, ``positions``, ``flags`` ("disagreement"),
``professions``, ``action_path_key``. `apply_override` raises `OverrideError` (a ValueError)
when the chosen position differs and the reason is blank; `Override` keeps both positions.

Faster path for many calls with one instrument: ``plan = ruleset.compile(instrument)`` then
``plan.run(answers, observations, history, vulnerability, as_of)`` (``classify`` does this
with a cached plan). Formats: docs/CLASSIFIER.md.
"""

from screening.classifier._load import Label
from screening.classifier.engine import Plan, classify
from screening.classifier.errors import (
    AnswerError,
    CategoriesError,
    ClassifierError,
    InstrumentError,
    ObservationError,
    OverrideError,
    RuleSetError,
)
from screening.classifier.instruments import (
    Area,
    Band,
    BandSet,
    Instrument,
    Item,
    Scale,
    instruments_for_age,
    load_instrument,
    load_instruments,
)
from screening.classifier.joint import JointSuggestion, Override, apply_override, suggest_joint
from screening.classifier.observations import (
    Category,
    Observation,
    ObservationCatalogue,
    ObservationSource,
    load_observation_categories,
)
from screening.classifier.positions import (
    DEFAULT_PROFESSIONS_BY_DOMAIN,
    DOMAINS,
    LEVELS,
    PROFESSIONS,
    VULNERABILITY_LABELS,
    Position,
    Vulnerability,
    profession_label,
)
from screening.classifier.results import Classification, Reason
from screening.classifier.rules import RuleSet, load_default_ruleset, load_ruleset, load_rulesets

__all__ = [
    "DEFAULT_PROFESSIONS_BY_DOMAIN",
    "DOMAINS",
    "LEVELS",
    "PROFESSIONS",
    "VULNERABILITY_LABELS",
    "AnswerError",
    "Area",
    "Band",
    "BandSet",
    "CategoriesError",
    "Category",
    "Classification",
    "ClassifierError",
    "Instrument",
    "InstrumentError",
    "Item",
    "JointSuggestion",
    "Label",
    "Observation",
    "ObservationCatalogue",
    "ObservationError",
    "ObservationSource",
    "Override",
    "OverrideError",
    "Plan",
    "Position",
    "Reason",
    "RuleSet",
    "RuleSetError",
    "Scale",
    "Vulnerability",
    "apply_override",
    "classify",
    "instruments_for_age",
    "load_default_ruleset",
    "load_instrument",
    "load_instruments",
    "load_observation_categories",
    "load_ruleset",
    "load_rulesets",
    "profession_label",
    "suggest_joint",
]
