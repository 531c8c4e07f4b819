// The outbox and what the device knows the server holds (screening/static/js/offline/outbox.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyAnswers,
  assessmentState,
  BATCH_SIZE,
  emptyLocal,
  exportBody,
  knownServerVersion,
  latestItemFor,
  mergeConflicts,
  newObservation,
  nextBatch,
  packExpired,
  pendingItems,
  planAssessmentSave,
  waitingCount,
  wireItem,
} from "../../screening/static/js/offline/outbox.js";

const NAMES = { child: "Otto Ørn", round: "Efterår" };

function payload(childId = 17, extra = {}) {
  return { round_id: 4, child_id: childId, answers: { "emo-g1": true }, resources: "", concerns: "", justification: "", vulnerability: null, submit: false, ...extra };
}

function assessmentItem(id, childId, { attempts = 0, state = "pending", createdAt = "2026-11-23T09:00:00.000Z", base_version = null, base_id = null, p } = {}) {
  return {
    id, kind: "assessment", state, createdAt, updatedAt: createdAt, attempts,
    body: { payload: p || payload(childId), base_version, base_id, ...NAMES },
  };
}

function plan(items, local, p, entry = { child_id: p.child_id, assessment: null }) {
  return planAssessmentSave({ items, local, payload: p, entry, names: NAMES, now: "2026-11-23T10:00:00.000Z", id: "new-id" });
}

function deepFreeze(value) {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

test("a first save is a new item with no base", () => {
  const p = payload();
  const result = plan([], emptyLocal(), p);
  assert.equal(result.replaces, null);
  assert.deepEqual(result.items, [result.item]);
  assert.deepEqual(result.item, {
    id: "new-id", kind: "assessment", state: "pending", createdAt: "2026-11-23T10:00:00.000Z",
    updatedAt: "2026-11-23T10:00:00.000Z", attempts: 0,
    body: { payload: p, ...NAMES, base_version: null, base_id: null },
  });
});

test("a first save starts from the pack's version, or the newer one a sync reported", () => {
  const entry = { child_id: 17, assessment: { version: 3, status: "draft", answers: {} } };
  assert.equal(plan([], emptyLocal(), payload(), entry).item.body.base_version, 3);
  const local = { ...emptyLocal(), bases: { "4:17": { version: 5, itemId: "sent-id", submitted: false, payload: payload() } } };
  const body = plan([], local, payload(), entry).item.body;
  assert.equal(body.base_version, 5);
  assert.equal(body.base_id, "sent-id");
  // An older sync answer loses to a newer pack.
  const old = { ...emptyLocal(), bases: { "4:17": { version: 2, itemId: "old", submitted: false } } };
  assert.deepEqual([plan([], old, payload(), entry).item.body.base_version, plan([], old, payload(), entry).item.body.base_id], [3, null]);
});

test("an item never sent is changed in place, without touching the outbox given", () => {
  const items = deepFreeze([assessmentItem("a", 17, { base_version: 3 }), assessmentItem("b", 18)]);
  const p = payload(17, { concerns: "Ny tekst" });
  const result = plan(items, emptyLocal(), p);
  assert.equal(result.item.id, "a");
  assert.equal(result.item.body.payload, p);
  assert.equal(result.item.body.base_version, 3);
  assert.equal(result.item.updatedAt, "2026-11-23T10:00:00.000Z");
  assert.equal(result.item.createdAt, "2026-11-23T09:00:00.000Z");
  assert.deepEqual(result.items.map((i) => i.id), ["a", "b"]);
  assert.equal(items[0].body.payload.concerns, ""); // the old outbox is as it was
});

test("an edit of an item that may have reached the server follows it", () => {
  const items = deepFreeze([assessmentItem("a", 17, { attempts: 1, base_version: 3, base_id: "older" })]);
  const result = plan(items, emptyLocal(), payload(17, { concerns: "Senere" }));
  assert.equal(result.item.id, "new-id");
  assert.equal(result.item.body.base_version, 3);
  assert.equal(result.item.body.base_id, "a");
  assert.deepEqual(result.items.map((i) => i.id), ["a", "new-id"]);
});

test("a correction takes the refused item's place and base", () => {
  const items = deepFreeze([assessmentItem("a", 17, { attempts: 2, state: "invalid", base_version: 3, base_id: "older" })]);
  const result = plan(items, emptyLocal(), payload());
  assert.equal(result.replaces, "a");
  assert.equal(result.item.body.base_version, 3);
  assert.equal(result.item.body.base_id, "older");
  assert.deepEqual(result.items.map((i) => i.id), ["new-id"]);
});

test("the newest item per round and child is found, also after the outbox changed", () => {
  const items = [assessmentItem("a", 17, { attempts: 1 }), assessmentItem("b", 18), assessmentItem("c", 17)];
  assert.equal(latestItemFor(items, 4, 17).id, "c");
  assert.equal(latestItemFor(items, 4, 19), null);
  assert.equal(latestItemFor(items, 5, 17), null);
  items.push(assessmentItem("d", 19));
  assert.equal(latestItemFor(items, 4, 19).id, "d"); // same array, longer
  assert.equal(latestItemFor(items.filter((i) => i.id !== "c"), 4, 17).id, "a"); // a new array
});

test("the known server version prefers the newer of sync answer and pack", () => {
  const packed = { version: 3, status: "submitted", concerns: "fra pakken" };
  assert.equal(knownServerVersion(emptyLocal(), 4, 17, { child_id: 17 }), null);
  assert.deepEqual(knownServerVersion(emptyLocal(), 4, 17, { assessment: packed }), { version: 3, itemId: null, payload: packed, submitted: true });
  const same = { ...emptyLocal(), bases: { "4:17": { version: 3, itemId: "x", submitted: false } } };
  // The same version from a sync answer without content: the pack's content is that version.
  assert.equal(knownServerVersion(same, 4, 17, { assessment: packed }).payload, packed);
  const newer = { ...emptyLocal(), bases: { "4:17": { version: 4, itemId: "x", submitted: false } } };
  assert.equal(knownServerVersion(newer, 4, 17, { assessment: packed }).payload, null);
});

test("a child's state: waiting item first, then conflict, then what the server holds", () => {
  const entry = { child_id: 17, assessment: null };
  const local = emptyLocal();
  assert.equal(assessmentState([], local, 4, entry), null);
  assert.equal(assessmentState([assessmentItem("a", 17)], local, 4, entry), "draft");
  assert.equal(assessmentState([assessmentItem("a", 17, { p: payload(17, { submit: true }) })], local, 4, entry), "final");
  assert.equal(assessmentState([assessmentItem("a", 17, { state: "invalid" })], local, 4, entry), "invalid");
  const conflicted = { ...local, conflicts: [{ id: 1, roundId: 4, childId: 17, label: "x" }] };
  assert.equal(assessmentState([], conflicted, 4, entry), "conflict");
  assert.equal(assessmentState([], local, 4, { child_id: 17, assessment: { version: 1, status: "draft" } }), "server-draft");
  assert.equal(assessmentState([], local, 4, { child_id: 17, assessment: { version: 1, status: "submitted" } }), "submitted");
});

test("batches are the oldest pending items, at most BATCH_SIZE", () => {
  const items = [];
  for (let i = 0; i < BATCH_SIZE + 5; i++) items.push(assessmentItem("i" + i, i));
  items[2] = { ...items[2], state: "invalid" };
  const batch = nextBatch(items);
  assert.equal(batch.length, BATCH_SIZE);
  assert.equal(batch[0].id, "i0");
  assert.ok(!batch.some((i) => i.id === "i2"));
  assert.equal(nextBatch(items, 3).map((i) => i.id).join(), "i0,i1,i3");
  assert.equal(pendingItems(items).length, BATCH_SIZE + 4);
  assert.equal(waitingCount(items), BATCH_SIZE + 5);
});

test("an item is sent with its base, null when it has none", () => {
  const item = assessmentItem("a", 17);
  delete item.body.base_version;
  assert.deepEqual(wireItem(item), { id: "a", kind: "assessment", base_version: null, base_id: null, payload: item.body.payload });
  const obs = newObservation({ payload: { child_id: 17, note: "n" }, child: "Otto Ørn", now: "t", id: "o" });
  assert.deepEqual(wireItem(obs), { id: "o", kind: "observation", base_version: null, base_id: null, payload: { child_id: 17, note: "n" } });
  assert.deepEqual(exportBody({ id: 7, name: "Eva" }, [obs], "now"), {
    format: "trivselsspor-sync-batch", exported_at: "now", user: { id: 7, name: "Eva" }, items: [wireItem(obs)],
  });
});

test("the server's answers: confirmed items go, refused ones stay with the reason", () => {
  const batch = deepFreeze([
    assessmentItem("stored", 17, { attempts: 1, p: payload(17, { submit: true }) }),
    assessmentItem("again", 18, { attempts: 2 }),
    assessmentItem("conflict", 19, { attempts: 1 }),
    assessmentItem("invalid", 20, { attempts: 1 }),
    assessmentItem("unanswered", 21, { attempts: 1 }),
    newObservation({ payload: { child_id: 22 }, child: "Bo Bi", now: "t", id: "obs" }),
  ]);
  const local = deepFreeze({ ...emptyLocal(), conflicts: [{ id: 9, label: "old", roundId: 4, childId: 1 }] });
  const results = [
    { id: "stored", status: "stored", server_version: 1 },
    { id: "again", status: "already_stored", server_version: 4 },
    { id: "conflict", status: "conflict", conflict_id: 12, reason: "changed_on_server", server_version: 6 },
    { id: "invalid", status: "invalid", reason: "round_not_open" },
    { id: "obs", status: "stored" },
    { id: "not-sent", status: "stored", server_version: 1 },
  ];
  const out = applyAnswers({ batch, results, local, title: (item) => "T:" + item.id });
  assert.deepEqual(out.done, ["stored", "again", "conflict", "obs"]);
  assert.deepEqual(out.invalid.map((i) => [i.id, i.state, i.body.reason]), [["invalid", "invalid", "round_not_open"]]);
  assert.deepEqual(out.local.bases, {
    "4:17": { version: 1, itemId: "stored", submitted: true, payload: batch[0].body.payload },
    "4:18": { version: 4, itemId: "again", submitted: false, payload: batch[1].body.payload },
  });
  assert.deepEqual(out.local.conflicts, [local.conflicts[0], { id: 12, label: "T:conflict", roundId: 4, childId: 19 }]);
  // The same conflict answered again is not listed twice.
  const again = applyAnswers({ batch, results, local: out.local, title: () => "x" });
  assert.equal(again.local.conflicts.length, 2);
});

test("the server's list of open conflicts replaces the device's, for this user only", () => {
  const known = [{ id: 12, label: "Vurdering: Otto Ørn (Efterår)", roundId: 4, childId: 17 }];
  const server = [
    { id: 12, mine: true, user: { id: 7 }, round_id: 4, child: { id: 17, first_name: "Otto", last_name: "Ørn" } },
    { id: 13, mine: true, user: { id: 7 }, round_id: null, child: { id: 18, first_name: "Ulla", last_name: "Åby" } },
    { id: 14, mine: false, user: { id: 8 }, round_id: 4, child: { id: 19, first_name: "Karla", last_name: "Krog" } },
  ];
  assert.deepEqual(mergeConflicts(known, server, 7), [
    known[0],
    { id: 13, label: "Ulla Åby", roundId: null, childId: 18 },
  ]);
  assert.deepEqual(mergeConflicts(known, [], 7), []);
});

test("a pack is expired once its expiry time has passed", () => {
  const pack = { expires_at: "2026-11-23T10:00:00+00:00" };
  assert.equal(packExpired(pack, new Date("2026-11-23T09:59:59Z")), false);
  assert.equal(packExpired(pack, new Date("2026-11-23T10:00:01Z")), true);
  assert.equal(packExpired(null), false);
});
