/* The outbox and what the device knows the server holds: pure logic over plain objects, no
   DOM, no storage (unit-tested under Node). The callers store what these functions return.

   An outbox item: {id, kind: "assessment" | "observation", state: "pending" | "invalid",
   createdAt, updatedAt, attempts, body: {payload, base_version, base_id, child, round,
   reason?}}. `local` (the user's sealed bookkeeping): {bases: {"round:child": {version,
   itemId, submitted, payload}}, conflicts: [{id, label, roundId, childId}], lastSync,
   lastError, packGroups?, packExpiredAt? (when a pack deleted as expired had expired, until
   a new one is fetched)}. */

/** Items sent per request (the server accepts up to 500). */
export const BATCH_SIZE = 100;

export function emptyLocal() {
  return { bases: {}, conflicts: [], lastSync: null, lastError: null };
}

export function baseKey(roundId, childId) {
  return roundId + ":" + childId;
}

export function pendingItems(items) {
  return items.filter((i) => i.state === "pending");
}

export function invalidItems(items) {
  return items.filter((i) => i.state === "invalid");
}

/** What still needs the server or the user: pending and invalid items. */
export function waitingCount(items) {
  return pendingItems(items).length + invalidItems(items).length;
}

// The newest item per round and child, made once per outbox array. Items are only ever
// pushed or filtered into a new array: identity and length tell when to make it again.
const latestCache = new WeakMap();

/** The newest assessment item for a round and child, or null. */
export function latestItemFor(items, roundId, childId) {
  let cached = latestCache.get(items);
  if (!cached || cached.length !== items.length) {
    const map = new Map();
    for (const it of items) {
      if (it.kind === "assessment") map.set(baseKey(it.body.payload.round_id, it.body.payload.child_id), it);
    }
    cached = { length: items.length, map };
    latestCache.set(items, cached);
  }
  return cached.map.get(baseKey(roundId, childId)) || null;
}

/** The newest version of the user's assessment the device knows the server holds: from the
    last sync answer (with the content that produced it) or from the pack's entry, whichever
    is newer. {version, itemId, submitted, payload} or null. */
export function knownServerVersion(local, roundId, childId, entry) {
  const base = local.bases[baseKey(roundId, childId)];
  const packed = entry && entry.assessment;
  if (base && (!packed || base.version >= packed.version)) {
    return {
      version: base.version,
      itemId: base.itemId || null,
      submitted: !!base.submitted,
      payload: base.payload || (packed && packed.version === base.version ? packed : null),
    };
  }
  if (packed) return { version: packed.version, itemId: null, payload: packed, submitted: packed.status === "submitted" };
  return null;
}

export function hasConflict(local, roundId, childId) {
  return local.conflicts.some((c) => c.roundId === roundId && c.childId === childId);
}

/** Whether the server holds a newer version of this assessment than anything on the device
    (a conflict about it was resolved, or the server said so), so the device's copy must
    not be edited: true until a pack newer than the one on the device when it was learnt
    has been fetched. `local.stale`: {"round:child": {packAt}} (packAt: the generated_at of
    the pack then on the device, or null). */
export function isStale(local, pack, roundId, childId) {
  const mark = local.stale && local.stale[baseKey(roundId, childId)];
  if (!mark) return false;
  return !pack || pack.generated_at === mark.packAt;
}

/** `local.stale` after the server's list of open conflicts (/api/conflicts): an assessment
    conflict the device knew of that is no longer open has been resolved, so the server's
    version may be either; and an open one whose server version is newer than the device's
    base is newer too. `pack` is the pack on the device now. A new object. */
export function staleAfterConflicts(local, serverConflicts, userId, pack) {
  const stale = { ...(local.stale || {}) };
  const packAt = pack ? pack.generated_at : null;
  const open = new Set(serverConflicts.filter((c) => c.mine && c.user.id === userId).map((c) => c.id));
  for (const c of local.conflicts) {
    if (!open.has(c.id) && c.roundId) stale[baseKey(c.roundId, c.childId)] = { packAt };
  }
  for (const c of serverConflicts) {
    if (!open.has(c.id) || !c.round_id || c.server_version == null) continue;
    const key = baseKey(c.round_id, c.child.id);
    const base = local.bases[key];
    if (base && base.version < c.server_version) stale[key] = { packAt };
  }
  return stale;
}

/** Where one child's assessment in a round stands on this device: "invalid", "final" or
    "draft" (an item waits), "conflict", "stale" (the server has a newer version: fetch a
    new pack; `pack` is the pack on the device), "submitted", "server-draft", or null
    (nothing yet). */
export function assessmentState(items, local, roundId, entry, pack = null) {
  const item = latestItemFor(items, roundId, entry.child_id);
  if (item) {
    if (item.state === "invalid") return "invalid";
    return item.body.payload.submit ? "final" : "draft";
  }
  if (hasConflict(local, roundId, entry.child_id)) return "conflict";
  if (isStale(local, pack, roundId, entry.child_id)) return "stale";
  const known = knownServerVersion(local, roundId, entry.child_id, entry);
  if (known && known.submitted) return "submitted";
  if (known) return "server-draft";
  return null;
}

/** How to keep a saved assessment form: {item, replaces, items}. `item` is the record to
    write, `replaces` the id to delete in the same transaction (or null), `items` the outbox
    after the write. `names` ({child, round}) are kept for display.

    An item never sent is changed in place. One that may have reached the server (its answer
    may have been lost) is left as it is and the change becomes a new item on top of it
    (base_id), so the server can tell a follow-up from a conflicting edit. A refused
    (invalid) item is replaced by its correction, which takes over its base. */
export function planAssessmentSave({ items, local, payload, entry, names, now, id }) {
  const previous = latestItemFor(items, payload.round_id, payload.child_id);
  if (previous && previous.attempts === 0) {
    const item = { ...previous, state: "pending", updatedAt: now, body: { ...previous.body, payload } };
    return { item, replaces: null, previous, items: items.map((i) => (i.id === previous.id ? item : i)) };
  }
  const body = { payload, ...names };
  const item = { id, kind: "assessment", state: "pending", createdAt: now, updatedAt: now, attempts: 0, body };
  if (previous && previous.state === "invalid") {
    body.base_version = previous.body.base_version;
    body.base_id = previous.body.base_id || null;
    return { item, replaces: previous.id, previous, items: items.filter((i) => i.id !== previous.id).concat([item]) };
  }
  if (previous) {
    // Sent, answer not yet heard: the edit follows it.
    body.base_version = previous.body.base_version;
    body.base_id = previous.id;
  } else {
    const known = knownServerVersion(local, payload.round_id, payload.child_id, entry);
    body.base_version = known ? known.version : null;
    body.base_id = known ? known.itemId : null;
  }
  return { item, replaces: null, previous, items: items.concat([item]) };
}

/** A new observation item (observations are always new records on the server). */
export function newObservation({ payload, child, now, id }) {
  return {
    id, kind: "observation", state: "pending", createdAt: now, updatedAt: now, attempts: 0,
    body: { payload, base_version: null, base_id: null, child },
  };
}

/** An item as sent to /api/sync (and written to an export file). */
export function wireItem(item) {
  return {
    id: item.id,
    kind: item.kind,
    base_version: item.body.base_version === undefined ? null : item.body.base_version,
    base_id: item.body.base_id || null,
    payload: item.body.payload,
  };
}

/** The next batch to send: the oldest pending items. */
export function nextBatch(items, size = BATCH_SIZE) {
  return pendingItems(items).slice(0, size);
}

/** What the server's answers mean for the device: {done, invalid, local}. `done` are the ids
    the server has confirmed (stored, already stored, or kept as a conflict: deleted from the
    device), `invalid` the items to keep with the server's reason, `local` the bookkeeping
    after the answers (a new object; `local` is not changed). An item with no answer is in
    neither list: it stays pending and is sent again. `title(item)` labels a new conflict. */
export function applyAnswers({ batch, results, local, title }) {
  const byId = new Map(results.map((r) => [r.id, r]));
  const next = { ...local, bases: { ...local.bases }, conflicts: local.conflicts.slice() };
  const done = [];
  const invalid = [];
  for (const item of batch) {
    const r = byId.get(item.id);
    if (!r) continue;
    const p = item.body.payload;
    if (r.status === "stored" || r.status === "already_stored") {
      done.push(item.id);
      if (item.kind === "assessment") {
        // What the server now holds, so the form opens with it and the next edit builds on it.
        next.bases[baseKey(p.round_id, p.child_id)] = { version: r.server_version, itemId: item.id, submitted: !!p.submit, payload: p };
      }
    } else if (r.status === "conflict") {
      // The server keeps both versions; the device need not keep its copy.
      done.push(item.id);
      if (!next.conflicts.some((c) => c.id === r.conflict_id)) {
        next.conflicts.push({ id: r.conflict_id, label: title(item), roundId: p.round_id || null, childId: p.child_id });
      }
    } else if (r.status === "invalid") {
      invalid.push({ ...item, state: "invalid", body: { ...item.body, reason: r.reason || "" } });
    }
  }
  return { done, invalid, local: next };
}

/** The device's list of conflicts replaced by the server's open conflicts of `userId`
    (/api/conflicts), keeping the labels the device made. */
export function mergeConflicts(known, serverConflicts, userId) {
  return serverConflicts
    .filter((c) => c.mine && c.user.id === userId)
    .map((c) => {
      const k = known.find((x) => x.id === c.id);
      return {
        id: c.id,
        label: k ? k.label : c.child.first_name + " " + c.child.last_name,
        roundId: c.round_id || (k ? k.roundId : null),
        childId: c.child.id,
      };
    });
}

/** The unsent items as a file body, in the sync API's format (last resort). */
export function exportBody(user, items, now) {
  return { format: "trivselsspor-sync-batch", exported_at: now, user, items: items.map(wireItem) };
}

/** Whether a pack has passed its expiry time. */
export function packExpired(pack, now = new Date()) {
  return !!pack && new Date(pack.expires_at) < now;
}
