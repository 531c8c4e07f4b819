/* The app's state in this page: one object, shared by the modules, that holds what the
   unlocked user may see. Locking empties it (session.js). Nothing here is stored as is:
   the store seals what it writes. */

import { emptyLocal } from "./outbox.js";

export const S = {
  // {user: {id, name}, key: the unlocked data key (non-extractable, in memory only), unreadable}
  owner: null,
  pack: null,
  local: null, // see outbox.js
  items: [], // the decrypted outbox, oldest first
  session: null, // /api/session of the browser's online session, or null
  syncing: false,
  // The last try to reach the server (status.js): its outcome ("ok" | "unreachable" |
  // "server_error" | null), when it was, how many failed in a row, when the next one is.
  outcome: null,
  lastTry: null,
  failures: 0,
  nextTry: null,
  paused: null, // "signin" | "other_user"
  message: "",
  error: "",
  failedPins: 0,
  pinBlockedUntil: 0,
  editing: null, // the open form: {roundId?, childId, round?, entry?, child, opened?, submit?, replaces?}
  editingDef: null,
  saving: false,
  pendingKey: null, // raw key bytes from the server while a PIN is being chosen
  pendingUser: null,
  persisted: undefined,
  // Raised by every change of the outbox made in this tab: a read from IndexedDB that
  // overlapped one is read again rather than trusted.
  itemsRevision: 0,
  reloadAfterSync: false,
  lastSaveMs: null,
  lastDrawnMs: null,
};

// The unlocked user and key, read from the owner (one place to set, one to clear).
Object.defineProperty(S, "user", { get: () => (S.owner ? S.owner.user : null) });
Object.defineProperty(S, "key", { get: () => (S.owner ? S.owner.key : null) });

/** Whether `owner` (made at unlock) is still the one unlocked. A sync or save started for
    one user checks this before every step and never writes with another user's key. */
export function isCurrent(owner) {
  return !!owner && S.owner === owner;
}

/** Thrown to stop work that belongs to an owner who is no longer unlocked. */
export class Stopped extends Error {
  constructor() {
    super("stopped");
    this.name = "Stopped";
  }
}

export function checkOwner(owner) {
  if (!isCurrent(owner)) throw new Stopped();
}

export function freshLocal(value) {
  return Object.assign(emptyLocal(), value || {});
}
