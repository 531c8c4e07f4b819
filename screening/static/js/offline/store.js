/* The device's storage: one IndexedDB database (through the vendored idb library), every
   record sealed under its owner's data key. Owners are {user: {id, name}, key}.

   Stores: keys (a user's wrapped data key), packs, state (bases, conflicts, last sync) and
   items (the outbox). Only ids, kinds, states and times are in clear; all content is sealed. */

import "../../vendor/idb-8.0.4/idb.umd.js";
import { place, seal, unseal } from "./crypto.js";
import { freshLocal } from "./state.js";

const { openDB } = globalThis.idb;

export const DB_NAME = "trivselsspor-offline";
export const DB_VERSION = 1;

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore("keys", { keyPath: "userId" });
          db.createObjectStore("packs", { keyPath: "userId" });
          db.createObjectStore("state", { keyPath: "userId" });
          db.createObjectStore("items", { keyPath: "id" }).createIndex("userId", "userId");
        }
        // A later version adds stores or indexes here; it never deletes a store with items.
      },
      blocking(current, blocked, event) {
        // A newer version of the app wants to upgrade the database: let it.
        event.target.close();
        dbPromise = null;
      },
      terminated() {
        // The browser closed the connection (e.g. iOS under memory pressure): reopen.
        dbPromise = null;
      },
    });
    dbPromise.catch(() => {
      dbPromise = null;
    });
  }
  return dbPromise;
}

// Runs `fn(db)`; a connection the browser closed under us is reopened and `fn` tried once more.
async function withDb(fn) {
  try {
    return await fn(await openDb());
  } catch (error) {
    if (error && (error.name === "InvalidStateError" || error.name === "TransactionInactiveError")) {
      dbPromise = null;
      return fn(await openDb());
    }
    throw error;
  }
}

/** Writes in one readwrite transaction over `stores`: `fill(tx)` queues the requests, and the
    promise settles when the transaction has committed (`complete`) or failed, with the
    transaction's own error (e.g. QuotaExceededError, which the browser reports on the
    transaction, the request getting only an AbortError). */
async function write(db, stores, fill) {
  const tx = db.transaction(stores, "readwrite");
  for (const request of fill(tx) || []) request.catch(() => {}); // the transaction reports
  try {
    await tx.done;
  } catch (error) {
    throw tx.error || error;
  }
}

/** Closes the connection under the app, as a browser may do at any time (tests only). */
export async function closeDatabase() {
  (await openDb()).close();
}

// Keys -------------------------------------------------------------------------------------

/** Every user with a wrapped key on this device (the lock screen lists them by name). */
export function knownUsers() {
  return withDb((db) => db.getAll("keys"));
}

export function keyRow(userId) {
  return withDb((db) => db.get("keys", userId));
}

/** Keeps `user`'s data key wrapped as made by crypto.wrapKey(). */
export function putKeyRow(user, wrapped) {
  return withDb((db) =>
    db.put("keys", { userId: user.id, name: user.name, ...wrapped, createdAt: new Date().toISOString() })
  );
}

// Packs and state ----------------------------------------------------------------------------

/** The owner's pack, or null when there is none or it does not open. */
export async function readPack(owner) {
  const userId = owner.user.id;
  const row = await withDb((db) => db.get("packs", userId));
  if (!row) return null;
  return unseal(owner.key, place(userId, "packs", userId), row.box).catch(() => null);
}

export async function writePack(owner, pack) {
  const userId = owner.user.id;
  const box = await seal(owner.key, place(userId, "packs", userId), pack);
  return withDb((db) => db.put("packs", { userId, box, expiresAt: pack.expires_at }));
}

export function deletePack(userId) {
  return withDb((db) => db.delete("packs", userId));
}

/** The owner's bookkeeping; rejects when the record does not open (`lenient`: empty then). */
export async function readState(owner, { lenient = false } = {}) {
  const userId = owner.user.id;
  const row = await withDb((db) => db.get("state", userId));
  if (!row) return freshLocal();
  try {
    return freshLocal(await unseal(owner.key, place(userId, "state", userId), row.box));
  } catch (error) {
    if (lenient) return freshLocal();
    throw error;
  }
}

export async function writeState(owner, local) {
  const userId = owner.user.id;
  const box = await seal(owner.key, place(userId, "state", userId), local);
  return withDb((db) => db.put("state", { userId, box }));
}

// The outbox -------------------------------------------------------------------------------

/** The owner's outbox as stored, oldest first, and how many records did not open.
    `known` (items already in memory) saves decrypting the records that have not changed
    since they were read or written here. One record that does not open (e.g. damaged) does
    not hide the others: it is counted and left alone. */
export async function readItems(owner, known = []) {
  const mine = new Map(known.map((item) => [item.id, item]));
  const rows = await withDb((db) => db.getAllFromIndex("items", "userId", owner.user.id));
  const items = await Promise.all(
    rows.map((row) => {
      const same = mine.get(row.id);
      if (same && same.updatedAt === row.updatedAt && same.state === row.state && same.attempts === (row.attempts || 0)) {
        return same;
      }
      return unseal(owner.key, place(owner.user.id, "items", row.id), row.box).then(
        (body) => ({
          id: row.id, kind: row.kind, state: row.state, createdAt: row.createdAt,
          updatedAt: row.updatedAt, attempts: row.attempts || 0, body,
        }),
        () => null
      );
    })
  );
  const readable = items.filter(Boolean);
  readable.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  return { items: readable, unreadable: items.length - readable.length };
}

function itemRecord(owner, item, box) {
  return {
    id: item.id, userId: owner.user.id, kind: item.kind, state: item.state,
    createdAt: item.createdAt, updatedAt: item.updatedAt, attempts: item.attempts, box,
  };
}

/** Resolves once the item is committed to IndexedDB (rejects, with the browser's
    DOMException, when it is not: nothing of it is stored then). */
export async function putItem(owner, item) {
  const box = await seal(owner.key, place(owner.user.id, "items", item.id), item.body);
  return withDb((db) => write(db, "items", (tx) => [tx.store.put(itemRecord(owner, item, box))]));
}

/** Writes `item` and deletes the item it replaces, in one transaction. */
export async function replaceItem(owner, item, oldId) {
  const box = await seal(owner.key, place(owner.user.id, "items", item.id), item.body);
  return withDb((db) => write(db, "items", (tx) => [tx.store.put(itemRecord(owner, item, box)), tx.store.delete(oldId)]));
}

export function deleteItems(ids) {
  if (!ids.length) return Promise.resolve();
  return withDb((db) => write(db, "items", (tx) => ids.map((id) => tx.store.delete(id))));
}
