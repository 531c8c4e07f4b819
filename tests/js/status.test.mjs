// The sync bar's states and the retry schedule (screening/static/js/offline/status.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_RETRY, failuresAfter, retryDelay, retrySchedule, STATUS_TEXT, syncStatus } from "../../screening/static/js/offline/status.js";

test("only error answers lengthen the wait; no answer keeps the first interval", () => {
  let failures = 0;
  for (let i = 0; i < 10; i++) failures = failuresAfter(failures, "unreachable");
  assert.equal(retryDelay(failures), 30000);
  for (let i = 0; i < 3; i++) failures = failuresAfter(failures, "server_error");
  assert.equal(retryDelay(failures), 120000);
  assert.equal(failuresAfter(failures, "unreachable"), 0);
  assert.equal(failuresAfter(failures, "ok"), 0);
});

test("the retry schedule starts at 30 s and doubles up to 5 minutes", () => {
  const delays = [1, 2, 3, 4, 5, 6, 50].map((n) => retryDelay(n));
  assert.deepEqual(delays, [30000, 60000, 120000, 240000, 300000, 300000, 300000]);
  assert.equal(retryDelay(0), 30000);
  assert.equal(retryDelay(-3), 30000);
  assert.equal(retryDelay(1e9), 300000);
});

test("the schedule comes from the page's settings, bad values give the defaults", () => {
  assert.deepEqual(retrySchedule("1", "4"), { minMs: 1000, maxMs: 4000 });
  assert.deepEqual(retryDelay(5, retrySchedule("1", "4")), 4000);
  assert.deepEqual(retrySchedule(undefined, undefined), DEFAULT_RETRY);
  assert.deepEqual(retrySchedule("x", "-1"), DEFAULT_RETRY);
  // A cap below the first interval is raised to it.
  assert.deepEqual(retrySchedule("10", "2"), { minMs: 10000, maxMs: 10000 });
  assert.deepEqual(retrySchedule("0.5", "1"), { minMs: 500, maxMs: 1000 });
});

const base = { browserOnline: true, syncing: false, outcome: null, paused: null, pending: 0, lastTry: 1, nextTry: 2 };

test("offline only when the browser has no connection", () => {
  assert.equal(syncStatus({ ...base, browserOnline: false, outcome: "unreachable", pending: 2 }).kind, "offline");
  assert.equal(syncStatus({ ...base, browserOnline: false, syncing: true }).kind, "offline");
});

test("an unanswered try while online is 'server unreachable', with the last and next try", () => {
  const s = syncStatus({ ...base, outcome: "unreachable", pending: 3, lastTry: 1000, nextTry: 31000 });
  assert.deepEqual(s, { kind: "unreachable", lastTry: 1000, nextTry: 31000 });
});

test("syncing, error answers, paused, waiting and all sent", () => {
  assert.equal(syncStatus({ ...base, syncing: true, outcome: "unreachable", pending: 1 }).kind, "syncing");
  assert.equal(syncStatus({ ...base, outcome: "server_error", pending: 1 }).kind, "server_error");
  assert.equal(syncStatus({ ...base, outcome: "server_error", pending: 0 }).kind, "sent");
  assert.equal(syncStatus({ ...base, paused: "signin", pending: 1 }).kind, "paused");
  assert.equal(syncStatus({ ...base, pending: 1 }).kind, "waiting");
  assert.equal(syncStatus({ ...base, outcome: "ok", pending: 0 }).kind, "sent");
});

test("no next try is shown when nothing waits", () => {
  assert.equal(syncStatus({ ...base, outcome: "ok", pending: 0, nextTry: 5 }).nextTry, null);
  assert.equal(syncStatus({ ...base, pending: 1, nextTry: 5 }).nextTry, 5);
});

test("every kind has a text", () => {
  for (const kind of ["offline", "syncing", "unreachable", "server_error", "paused", "waiting", "sent"]) {
    assert.ok(STATUS_TEXT[kind], kind);
  }
});

test("a storage failure on the device is not blamed on the server", () => {
  assert.equal(syncStatus({ ...base, outcome: "device_error", pending: 2 }).kind, "waiting");
  assert.equal(failuresAfter(3, "device_error"), 0);
});
