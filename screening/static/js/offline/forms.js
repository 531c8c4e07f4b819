/* The two forms of the offline app: an assessment (built from the instrument in the pack)
   and an observation. Saving one writes an outbox item, sealed, to IndexedDB. */

import { announceChange } from "./channel.js";
import { newId } from "./crypto.js";
import { $, flash, h, LANG, t } from "./dom.js";
import { storageErrorKey } from "./errors.js";
import { hasConflict, knownServerVersion, latestItemFor, assessmentState, newObservation, planAssessmentSave } from "./outbox.js";
import { S } from "./state.js";
import { putItem, replaceItem } from "./store.js";
import { syncSoon } from "./sync.js";
import { ageText, label, localDate } from "./text.js";
import { childById, renderAfterSave, show } from "./views.js";

const tr = (pair) => label(pair, LANG);

function findEntry(roundId, childId) {
  const round = S.pack && S.pack.rounds.find((r) => r.id === roundId);
  const entry = round && round.children.find((e) => e.child_id === childId);
  return { round, entry };
}

function instrumentFor(ref) {
  const found = (S.pack.instruments || []).find((i) => i.key === ref.key && i.version === ref.version);
  return found && found.definition;
}

// The assessment form ---------------------------------------------------------------------

function indicatorRow(item, answers) {
  const name = "a-" + item.key;
  return h("li", {}, h("label", { class: "statement-row", for: name },
    h("input", { type: "checkbox", class: "statement-check", id: name, name, "data-key": item.key, checked: answers[item.key] === true }),
    h("span", { class: "marker marker-" + (item.position || "green"), "aria-hidden": "true" }),
    h("span", { class: "statement-text", text: tr(item.text) })));
}

function ratedField(def, item, answers) {
  const name = "a-" + item.key;
  const options = h("div", { class: "rating-options", id: name });
  for (let v = item.scale.min; v <= item.scale.max; v++) {
    const oid = name + "-" + v;
    const word = def.scale_labels && def.scale_labels[String(v)];
    options.appendChild(h("label", { class: "rating-option", for: oid },
      h("input", { type: "radio", id: oid, name, value: String(v), "data-key": item.key, checked: answers[item.key] === v }),
      h("span", { class: "rating-number", text: String(v) }),
      word ? h("span", { class: "rating-word", text: tr(word) }) : null));
  }
  return h("div", { class: "rating", "data-rated": item.key },
    h("fieldset", {}, h("legend", { class: "rating-question", text: tr(item.text) }), options));
}

function textField(item, answers) {
  const name = "a-" + item.key;
  const ta = h("textarea", { id: name, name, rows: "3", maxlength: "4000", "data-key": item.key });
  ta.value = answers[item.key] || "";
  return h("div", { class: "field" }, h("label", { for: name, text: tr(item.text) }), ta);
}

export function openAssessment(roundId, childId) {
  const { round, entry } = findEntry(roundId, childId);
  const child = childById(childId);
  if (!entry || !child) return;
  const state = assessmentState(S.items, S.local, roundId, entry, S.pack);
  if (state === "submitted") { flash(t("already_submitted")); return; }
  // The server has a newer version than the device (a conflict was settled): the form
  // would open with stale content, so a new pack comes first.
  if (state === "stale") { flash(t("stale_version")); return; }
  // A conflict is settled online first; an edit on top of it would only add another.
  if (hasConflict(S.local, roundId, childId)) { flash(t("conflict_open")); return; }
  const def = instrumentFor(entry.instrument);
  const local = latestItemFor(S.items, roundId, childId);
  const known = knownServerVersion(S.local, roundId, childId, entry);
  const start = local ? local.body.payload : (known && known.payload) || {};
  const answers = start.answers || {};
  // Everything the save needs is kept with the form: it still saves if the pack expires.
  S.editing = { roundId, childId, round, entry, child };
  $("assess-title").textContent = child.first_name + " " + child.last_name + " – " + tr(def.title);
  $("assess-facts").textContent = t("round") + ": " + round.name + " · " + ageText(t, child.birth_date, round.reference_date) + " · " + child.group;
  const areas = $("assess-areas");
  areas.textContent = "";
  for (const area of def.areas) {
    const fs = h("fieldset", { class: "area" }, h("legend", { class: "area-title", text: tr(area.title) }));
    let list = null;
    for (const item of area.items) {
      if (item.kind === "indicator") {
        if (!list) { list = h("ul", { class: "statement-list" }); fs.appendChild(list); }
        list.appendChild(indicatorRow(item, answers));
        continue;
      }
      list = null;
      fs.appendChild(item.kind === "rated" ? ratedField(def, item, answers) : textField(item, answers));
    }
    areas.appendChild(fs);
  }
  $("f-resources").value = start.resources || "";
  $("f-concerns").value = start.concerns || "";
  $("f-justification").value = start.justification || "";
  const vul = $("f-vulnerability");
  vul.textContent = "";
  for (const [value, key] of [["", "not_assessed"], ["not", "vulnerability_not"], ["potentially", "vulnerability_potentially"], ["clearly", "vulnerability_clearly"]]) {
    vul.appendChild(h("option", { value, text: t(key), selected: (start.vulnerability || "") === value }));
  }
  $("assess-errors").hidden = true;
  S.editingDef = def;
  // What the form opened with: an unchanged form is not saved when the app locks.
  S.editing.opened = JSON.stringify(readAssessment());
  S.editing.submit = !!(local && local.body.payload.submit);
  flash("");
  show("assess");
}

/** The open assessment form's content, as an item payload (without `submit`). */
export function readAssessment() {
  const answers = {};
  for (const el of document.querySelectorAll("#assess-areas [data-key]")) {
    const key = el.dataset.key;
    if (el.type === "checkbox") { if (el.checked) answers[key] = true; }
    else if (el.type === "radio") { if (el.checked) answers[key] = parseInt(el.value, 10); }
    else if (el.value.trim()) answers[key] = el.value;
  }
  return {
    round_id: S.editing.roundId,
    child_id: S.editing.childId,
    answers,
    resources: $("f-resources").value,
    concerns: $("f-concerns").value,
    justification: $("f-justification").value,
    vulnerability: $("f-vulnerability").value || null,
  };
}

function missingRatings(def, answers) {
  return def.areas.flatMap((area) => area.items.filter((item) => item.kind === "rated" && !(item.key in answers)));
}

/** The advice for a save that failed (the app's own words, never the browser's). */
export function saveFailedText(error) {
  const advice = error && error.userMessage ? error.userMessage : t(storageErrorKey(error));
  return t("save_failed", { advice });
}

function showFormError(box, text) {
  box.textContent = text;
  box.hidden = false;
}

export async function saveAssessment(final) {
  const started = performance.now();
  const payload = readAssessment();
  const errors = $("assess-errors");
  for (const el of document.querySelectorAll("[data-rated].field-invalid")) el.classList.remove("field-invalid");
  if (final) {
    const missing = missingRatings(S.editingDef, payload.answers);
    if (missing.length) {
      showFormError(errors, t("missing_ratings"));
      for (const item of missing) {
        const el = document.querySelector('[data-rated="' + item.key + '"]');
        if (el) el.classList.add("field-invalid");
      }
      errors.focus();
      return false;
    }
  }
  payload.submit = !!final;
  S.lastSaveMs = null;
  S.lastDrawnMs = null;
  S.saving = true;
  try {
    await queueAssessment(payload);
  } catch (error) {
    S.saving = false;
    showFormError(errors, saveFailedText(error));
    errors.focus();
    return false;
  }
  // Stored: sealed and committed to IndexedDB.
  S.saving = false;
  S.lastSaveMs = performance.now() - started;
  flash(final ? t("saved_final") : t("saved_draft"));
  S.editing = null;
  show("home");
  renderAfterSave(payload.child_id);
  // And the page drawn again, with the list and the message.
  requestAnimationFrame(() => setTimeout(() => { S.lastDrawnMs = performance.now() - started; }, 0));
  announceChange();
  syncSoon();
  return true;
}

/** Saves an assessment payload as an outbox item of the unlocked user (see
    outbox.planAssessmentSave for when it is changed in place and when it is a new item).
    The page's outbox changes only once IndexedDB has committed the write: a save the
    device refused leaves no trace (no count, no badge, no content in a reopened form). */
export async function queueAssessment(payload) {
  S.itemsRevision += 1;
  const now = new Date().toISOString();
  const ed = S.editing && S.editing.roundId === payload.round_id && S.editing.childId === payload.child_id ? S.editing : null;
  const { round, entry } = ed ? ed : findEntry(payload.round_id, payload.child_id);
  const child = ed ? ed.child : childById(payload.child_id);
  if (!round || !entry || !child) throw Object.assign(new Error("no pack"), { userMessage: t("pack_none") });
  const names = { child: child.first_name + " " + child.last_name, round: round.name };
  const plan = planAssessmentSave({ items: S.items, local: S.local, payload, entry, names, now, id: newId() });
  const owner = S.owner;
  await (plan.replaces ? replaceItem(owner, plan.item, plan.replaces) : putItem(owner, plan.item));
  // Committed. Applied to the outbox as it is now (a sync may have changed it meanwhile).
  if (S.owner === owner) S.items = withItem(S.items, plan.item, plan.replaces);
}

/** `items` with `item` put in (in its place if it is there) and `replaces` taken out. A
    send attempt counted meanwhile is kept: that item may be on the server already. */
function withItem(items, item, replaces) {
  S.itemsRevision += 1;
  const same = items.find((i) => i.id === item.id);
  if (same) {
    const kept = same.attempts > item.attempts ? { ...item, attempts: same.attempts } : item;
    return items.map((i) => (i.id === item.id ? kept : i));
  }
  return items.filter((i) => i.id !== replaces).concat([item]);
}

// The observation form --------------------------------------------------------------------

export function openObservation(childId, correcting) {
  const child = childById(childId);
  if (!child) return;
  S.editing = { childId, child, replaces: correcting ? correcting.id : null };
  $("observe-title").textContent = t("observe") + ": " + child.first_name + " " + child.last_name;
  const sources = S.pack.observation_sources;
  const source = $("o-source");
  source.textContent = "";
  // A required select starts with an empty option, so "nothing chosen" is caught; a single
  // source is chosen for the user.
  source.appendChild(h("option", { value: "", text: t("choose") }));
  for (const s of sources) source.appendChild(h("option", { value: s.key, text: tr(s.title) }));
  if (sources.length === 1) source.value = sources[0].key;
  fillCategories();
  const levels = $("o-level");
  for (const el of levels.querySelectorAll(".choice")) el.remove();
  for (const level of Object.keys(S.pack.observation_levels || { 1: 0, 2: 0, 3: 0 })) {
    const id = "o-level-" + level;
    const word = S.pack.observation_levels ? tr(S.pack.observation_levels[level]) : "";
    levels.appendChild(h("div", { class: "choice" },
      h("input", { type: "radio", name: "level", id, value: level }),
      h("label", { for: id, text: level + (word ? " – " + word : "") })));
  }
  $("o-date").max = localDate();
  const was = correcting ? correcting.body.payload : null;
  if (was) {
    $("o-source").value = was.source;
    fillCategories();
    $("o-category").value = was.category;
    const level = document.querySelector('#o-level input[value="' + was.level + '"]');
    if (level) level.checked = true;
  }
  $("o-date").value = was ? was.observed_on : localDate();
  $("o-note").value = was ? was.note : "";
  $("observe-errors").hidden = true;
  flash("");
  show("observe");
}

export function fillCategories() {
  const source = (S.pack.observation_sources || []).find((s) => s.key === $("o-source").value);
  const select = $("o-category");
  select.textContent = "";
  select.appendChild(h("option", { value: "", text: t("choose") }));
  for (const c of source ? source.categories : []) select.appendChild(h("option", { value: c.key, text: tr(c.title) }));
}

export async function saveObservation() {
  const level = document.querySelector('#o-level input[name="level"]:checked');
  const payload = {
    child_id: S.editing.childId,
    source: $("o-source").value,
    category: $("o-category").value,
    level: level ? parseInt(level.value, 10) : null,
    observed_on: $("o-date").value,
    note: $("o-note").value,
  };
  const errors = $("observe-errors");
  if (!payload.source || !payload.category || !payload.level || !payload.observed_on) {
    showFormError(errors, t("observation_invalid"));
    errors.focus();
    return false;
  }
  if (payload.observed_on > localDate()) {
    showFormError(errors, t("date_in_future"));
    errors.focus();
    return false;
  }
  const child = S.editing.child;
  const replaces = S.editing.replaces;
  const item = newObservation({ payload, child: child.first_name + " " + child.last_name, now: new Date().toISOString(), id: newId() });
  S.itemsRevision += 1;
  try {
    await (replaces ? replaceItem(S.owner, item, replaces) : putItem(S.owner, item));
  } catch (error) {
    showFormError(errors, saveFailedText(error));
    errors.focus();
    return false;
  }
  S.items = S.items.filter((i) => i.id !== replaces).concat([item]);
  flash(t("saved_observation"));
  S.editing = null;
  show("home");
  renderAfterSave(payload.child_id);
  announceChange();
  syncSoon();
  return true;
}
