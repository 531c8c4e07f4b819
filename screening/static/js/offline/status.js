/* What the sync bar says and when the outbox is tried again. Pure: no page, no storage, no
   network (unit-tested under Node); sync.js and views.js use it.

   The retry schedule: whenever anything waits, the app tries again by itself.
   - No answer at all (the server is down or cut off, the Wi-Fi has no way out): every
     `minMs` (30 s by default). Such a try costs the server nothing, and the queue is sent
     within about that time of the server's return, however long it was away.
   - An error answer (the server is up but failing): `minMs`, then doubling up to `maxMs`
     (5 minutes by default) while the errors go on, so a struggling server is not pressed.
   A save, the network returning, the app coming into view and a successful try start the
   schedule again from the beginning. */

export const DEFAULT_RETRY = { minMs: 30000, maxMs: 300000 };

/** The retry schedule from the page's settings (seconds; missing or bad: the defaults). */
export function retrySchedule(minSeconds, maxSeconds) {
  const min = Number(minSeconds);
  const max = Number(maxSeconds);
  const minMs = Number.isFinite(min) && min > 0 ? min * 1000 : DEFAULT_RETRY.minMs;
  const maxMs = Number.isFinite(max) && max > 0 ? Math.max(max * 1000, minMs) : Math.max(DEFAULT_RETRY.maxMs, minMs);
  return { minMs, maxMs };
}

/** How long to wait before the next try after `failures` failed tries in a row (≥ 1; 0 or
    less: the first interval). */
export function retryDelay(failures, schedule = DEFAULT_RETRY) {
  const n = Math.max(1, Math.floor(failures) || 1);
  // 2 ** 30 is far past any cap; it keeps the number finite.
  return Math.min(schedule.maxMs, schedule.minMs * 2 ** Math.min(n - 1, 30));
}

/** The count of error answers in a row after a try that came to `outcome`: only error
    answers raise it (and so the wait); no answer keeps the first interval, success resets. */
export function failuresAfter(failures, outcome) {
  return outcome === "server_error" ? failures + 1 : 0;
}

/** What the last try came to, as kept by sync.js: "ok", "unreachable" (no answer: no
    connection to the server, or the time limit passed), "server_error" (an error answer),
    "device_error" (the device's storage failed; the sync bar's error line says what to
    do), or null (not tried yet). */
export const OUTCOMES = ["ok", "unreachable", "server_error", "device_error"];

/** The state the sync bar shows, from the facts: {kind, lastTry, nextTry}. Kinds, first
    match wins:
    - "offline": the browser has no connection at all;
    - "syncing": a try is under way;
    - "unreachable": the browser is online but the last try got no answer from the server;
    - "server_error": the server answered the last try with an error;
    - "paused": the server waits for the right user to sign in;
    - "waiting": something waits and has not been tried since it was saved;
    - "sent": nothing waits to be sent (invalid items need the user, not the server). */
export function syncStatus({ browserOnline, syncing, outcome, paused, pending, lastTry = null, nextTry = null }) {
  const times = { lastTry, nextTry: pending > 0 || paused ? nextTry : null };
  if (!browserOnline) return { kind: "offline", ...times };
  if (syncing) return { kind: "syncing", ...times };
  if (outcome === "unreachable") return { kind: "unreachable", ...times };
  if (outcome === "server_error" && pending > 0) return { kind: "server_error", ...times };
  if (paused) return { kind: "paused", ...times };
  if (pending > 0) return { kind: "waiting", ...times };
  return { kind: "sent", ...times };
}

/** The message keys of the sync bar's first word for each kind (the app's strings). */
export const STATUS_TEXT = {
  offline: "offline",
  syncing: "status_syncing",
  unreachable: "status_unreachable",
  server_error: "status_server_error",
  paused: "status_paused",
  waiting: "status_waiting",
  sent: "status_sent",
};
