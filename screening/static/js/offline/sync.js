/* Sending the outbox to the server (/api/sync) and taking in its answers.

   A sync belongs to the user who was unlocked when it started (its `owner`): it reads and
   writes only with that user's key and state, checks before every step that the same unlock
   is still in place, and stops when the app is locked or another user unlocks it. One tab
   syncs at a time (a Web Lock); the outbox and state are read again inside the lock, since
   another tab may have changed them. An item is deleted only after the server has confirmed
   it (stored, already stored, or kept as a conflict). */

import { fetchConflicts, fetchSession, NetworkError, postSync } from "./api.js";
import { announceChange } from "./channel.js";
import { root, t } from "./dom.js";
import { storageErrorKey } from "./errors.js";
import { applyAnswers, mergeConflicts, nextBatch, pendingItems, staleAfterConflicts, wireItem } from "./outbox.js";
import { checkOwner, isCurrent, S, Stopped } from "./state.js";
import { failuresAfter, retryDelay, retrySchedule } from "./status.js";
import { deleteItems, putItem, readItems, readState, writeState } from "./store.js";
import { loadUserData } from "./userdata.js";
import { itemTitle, render, renderSyncBar } from "./views.js";

// The retry schedule (status.js), from the page: config OFFLINE_RETRY_MIN_SECONDS and
// OFFLINE_RETRY_MAX_SECONDS (30 s and 5 minutes unless set, e.g. shorter for the tests).
const SCHEDULE = retrySchedule(root && root.dataset.retryMinSeconds, root && root.dataset.retryMaxSeconds);

let retryTimer = null;

/** Whether a try is due: something of the unlocked user waits (also while the queue is
    paused for a sign-in), or the last try failed (the sync bar says so until a try shows
    the server is back, so it is tried again even with nothing waiting). */
export function needsTry() {
  return !!S.key && (pendingItems(S.items).length > 0 || S.outcome === "unreachable" || S.outcome === "server_error");
}

/** After a try: while a try is due, the next one is planned (status.js: later after each
    error answer in a row); else none. */
function planNextTry() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (!needsTry()) {
    S.nextTry = null;
    return;
  }
  const delay = retryDelay(S.failures, SCHEDULE);
  S.nextTry = Date.now() + delay;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (needsTry()) syncNow();
  }, delay);
}

/** Tries at once when a try is due: after a save, when the network returns, when the app
    comes into view. The retry schedule starts again from its first interval. */
export function syncSoon() {
  if (S.syncing || !needsTry()) return;
  S.failures = 0;
  syncNow();
}

/** Records that the server could not be reached (also at start, before any unlock). */
export function noteUnreachable() {
  S.outcome = "unreachable";
  S.lastTry = Date.now();
}

function withSyncLock(fn) {
  // One sync at a time across this browser's tabs (the server is idempotent anyway).
  if (navigator.locks && navigator.locks.request) return navigator.locks.request("trivselsspor-sync", fn);
  return fn();
}

// The sync's bookkeeping replaced once stored: in the page too while its owner is unlocked.
async function commitLocal(owner, ctx, next) {
  await writeState(owner, next);
  ctx.local = next;
  if (isCurrent(owner)) S.local = next;
}

/** Sends everything pending of the unlocked user; resolves when done (or stopped). */
export async function syncNow() {
  if (!S.owner || S.syncing) return;
  const owner = S.owner;
  const ctx = { local: S.local }; // replaced by the stored state once inside the lock
  S.syncing = true;
  S.error = "";
  S.message = "";
  S.lastTry = Date.now();
  renderSyncBar();
  let outcome = "ok";
  try {
    outcome = (await withSyncLock(() => syncBatches(owner, ctx))) || "ok";
  } catch (error) {
    if (isCurrent(owner) && !(error instanceof Stopped)) {
      if (error instanceof NetworkError) {
        outcome = "unreachable";
        S.error = t("error_network");
      } else if (error && error.name === "SyntaxError") {
        outcome = "server_error"; // an answer that is not the API's JSON
        S.error = t("error_server", { code: "JSON" });
      } else {
        // The device's storage failed (the DOMException's name says how): the app's advice.
        outcome = "device_error";
        S.error = t(storageErrorKey(error));
      }
      await writeState(owner, { ...ctx.local, lastError: S.error }).catch(() => {});
    }
  }
  S.syncing = false;
  if (isCurrent(owner)) {
    S.outcome = outcome;
    S.failures = failuresAfter(S.failures, outcome);
    planNextTry();
    render();
    if (S.reloadAfterSync) {
      S.reloadAfterSync = false;
      loadUserData().then(render, () => {});
    }
  } else if (S.owner && pendingItems(S.items).length) {
    syncNow(); // someone else unlocked meanwhile: their turn
  }
}

function pause(kind, owner) {
  S.paused = kind;
  S.error = kind === "signin" ? t("paused_signin") : t("paused_other_user", { name: owner.user.name });
  // Tried again on the schedule: it resumes by itself once the right user has signed in
  // (e.g. in another tab).
  return "ok";
}

async function readItemsSettled(owner) {
  for (let tries = 0; ; tries++) {
    const revision = S.itemsRevision;
    const read = await readItems(owner, S.items);
    owner.unreadable = read.unreadable;
    checkOwner(owner);
    if (revision === S.itemsRevision || tries >= 5) return read.items;
  }
}

async function syncBatches(owner, ctx) {
  const session = await fetchSession();
  checkOwner(owner);
  S.session = session;
  if (!session) return pause("signin", owner);
  if (session.user.id !== owner.user.id) return pause("other_user", owner);
  S.paused = null;
  // Read the outbox and the state again inside the lock: another tab of the same user may
  // have synced or changed them meanwhile.
  const stored = await readState(owner);
  checkOwner(owner);
  ctx.local = stored;
  S.local = stored;
  S.items = await readItemsSettled(owner);
  const outcome = await sendAll(owner, ctx, session.csrf_token);
  if (isCurrent(owner) && !S.paused && outcome !== "server_error") await refreshConflicts(owner, ctx);
  return outcome;
}

async function sendAll(owner, ctx, token) {
  let retried = false;
  for (;;) {
    checkOwner(owner);
    const batch = nextBatch(S.items);
    if (!batch.length) {
      if (!S.items.length) S.message = t("sent_all");
      await commitLocal(owner, ctx, { ...ctx.local, lastSync: new Date().toISOString(), lastError: null });
      return "ok";
    }
    // Counted before anything is awaited: from now on the server may have it, so a later
    // edit becomes a new item on top of this one rather than a change of it.
    for (const item of batch) item.attempts += 1;
    await Promise.all(batch.map((item) => putItem(owner, item)));
    checkOwner(owner);
    // The user the items belong to is named: the server refuses the batch if the browser's
    // session is someone else's.
    const response = await postSync(owner.user.id, batch.map(wireItem), token);
    checkOwner(owner);
    if (response.status === 401) return pause("signin", owner);
    if (response.status === 409) return pause("other_user", owner);
    if (response.status === 400 && !retried) {
      // Most likely a CSRF token that expired: read a fresh one and try once more.
      const session = await fetchSession();
      checkOwner(owner);
      if (!session) return pause("signin", owner);
      if (session.user.id !== owner.user.id) return pause("other_user", owner);
      token = session.csrf_token;
      retried = true;
      continue;
    }
    if (!response.ok) {
      S.error = t("error_server", { code: response.status });
      return "server_error";
    }
    const data = await response.json();
    await takeAnswers(owner, ctx, batch, data.results || []);
    retried = false;
  }
}

async function takeAnswers(owner, ctx, batch, results) {
  const { done, invalid, local } = applyAnswers({ batch, results, local: ctx.local, title: itemTitle });
  S.itemsRevision += 1;
  // Deleted only now that the server has answered for them; the ids are this owner's.
  await Promise.all(invalid.map((item) => putItem(owner, item)));
  await deleteItems(done);
  await commitLocal(owner, ctx, local);
  if (isCurrent(owner)) {
    const gone = new Set(done);
    const changed = new Map(invalid.map((item) => [item.id, item]));
    S.items = S.items.filter((i) => !gone.has(i.id)).map((i) => changed.get(i.id) || i);
    render();
    announceChange();
  }
}

// The server's list of this user's open conflicts replaces the device's: one resolved on
// the office PC disappears here too.
async function refreshConflicts(owner, ctx) {
  try {
    const list = await fetchConflicts();
    if (list === null) return;
    checkOwner(owner);
    // A conflict settled since (on the office PC, say) leaves the server with a version the
    // device does not have: that assessment waits for a new pack before it is edited again.
    const stale = staleAfterConflicts(ctx.local, list, owner.user.id, S.pack);
    await commitLocal(owner, ctx, { ...ctx.local, stale, conflicts: mergeConflicts(ctx.local.conflicts, list, owner.user.id) });
  } catch {
    // The list is refreshed at the next sync.
  }
}
