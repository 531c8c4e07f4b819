// After a conflict is settled the server's version is newer than the device's
// (isStale and staleAfterConflicts in screening/static/js/offline/outbox.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { assessmentState, emptyLocal, isStale, staleAfterConflicts } from "../../screening/static/js/offline/outbox.js";

const pack = { generated_at: "2026-12-01T08:00:00+00:00" };
const conflict = (id, extra = {}) => ({
  id, mine: true, user: { id: 7 }, round_id: 4, child: { id: 17 }, server_version: 3, ...extra,
});

test("a known conflict no longer open marks its assessment stale until a newer pack", () => {
  const local = { ...emptyLocal(), conflicts: [{ id: 9, label: "x", roundId: 4, childId: 17 }] };
  assert.deepEqual(staleAfterConflicts(local, [conflict(9)], 7, pack), {}); // still open
  const stale = staleAfterConflicts(local, [], 7, pack);
  assert.deepEqual(stale, { "4:17": { packAt: pack.generated_at } });
  const after = { ...local, stale, conflicts: [] };
  assert.equal(isStale(after, pack, 4, 17), true);
  assert.equal(isStale(after, null, 4, 17), true);
  assert.equal(isStale(after, { generated_at: "2026-12-02T08:00:00+00:00" }, 4, 17), false);
  assert.equal(isStale(after, pack, 4, 18), false);
  assert.equal(assessmentState([], after, 4, { child_id: 17, assessment: { version: 2 } }, pack), "stale");
});

test("an observation conflict (no round) marks nothing", () => {
  const local = { ...emptyLocal(), conflicts: [{ id: 9, label: "x", roundId: null, childId: 17 }] };
  assert.deepEqual(staleAfterConflicts(local, [], 7, pack), {});
});

test("an open conflict whose server version is newer than the device's base marks it", () => {
  const local = { ...emptyLocal(), bases: { "4:17": { version: 2, itemId: "a" } } };
  assert.deepEqual(staleAfterConflicts(local, [conflict(9)], 7, null), { "4:17": { packAt: null } });
  const same = { ...emptyLocal(), bases: { "4:17": { version: 3, itemId: "a" } } };
  assert.deepEqual(staleAfterConflicts(same, [conflict(9)], 7, null), {});
  // Another user's conflicts (a leader sees them) mean nothing for this device's user.
  assert.deepEqual(staleAfterConflicts(local, [conflict(9, { mine: false, user: { id: 8 } })], 7, null), {});
});

test("earlier marks are kept", () => {
  const local = { ...emptyLocal(), stale: { "1:2": { packAt: null } } };
  assert.deepEqual(staleAfterConflicts(local, [], 7, pack), { "1:2": { packAt: null } });
});
