/* Encryption of everything the offline app keeps on the device. Pure WebCrypto (the
   browser's, or Node's globalThis.crypto in the unit tests): no DOM, no storage.

   - The data key (one per user, from the server) seals records with AES-GCM; every record's
     place ("userId:store:id") is bound in as associated data, so a sealed record copied to
     another user, store or id does not open.
   - On the device the data key lies only wrapped by a key derived from the user's PIN
     (PBKDF2-SHA-256, PBKDF2_ITERATIONS, a fresh 16-byte salt per wrapping). */

export const PBKDF2_ITERATIONS = 600000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The associated data of a sealed record: its user, store and id. */
export function place(userId, store, id) {
  return userId + ":" + store + ":" + id;
}

/** The raw data key as a non-extractable AES-GCM key: usable by the page, never exported. */
export function importDataKey(raw) {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** The key-encryption key derived from a PIN. */
export async function pinKey(pin, salt, iterations) {
  const base = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"]
  );
}

/** `value` as JSON, sealed under `key` for `where` (see place()): {iv, ct}. */
export async function seal(key, where, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(where) },
    key,
    encoder.encode(JSON.stringify(value))
  );
  return { iv, ct };
}

/** The value sealed in `box`; rejects (OperationError) for the wrong key or place. */
export async function unseal(key, where, box) {
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv, additionalData: encoder.encode(where) }, key, box.ct);
  return JSON.parse(decoder.decode(pt));
}

/** The raw data key wrapped under `pin` for `userId`: {salt, iterations, iv, wrapped}. */
export async function wrapKey(raw, pin, userId, iterations = PBKDF2_ITERATIONS) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const kek = await pinKey(pin, salt, iterations);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapped = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode("key:" + userId) }, kek, raw);
  return { salt, iterations, iv, wrapped };
}

/** The data key of a wrapped record ({userId, salt, iterations, iv, wrapped}) opened with
    `pin`; rejects for a wrong PIN (the AES-GCM tag does not match). */
export async function unwrapKey(row, pin) {
  const kek = await pinKey(pin, row.salt, row.iterations);
  const raw = await crypto.subtle.decrypt({ name: "AES-GCM", iv: row.iv, additionalData: encoder.encode("key:" + row.userId) }, kek, row.wrapped);
  return importDataKey(raw);
}

/** Bytes from base64 text (the server sends the data key so). */
export function b64bytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A v4 UUID, made on the device: an outbox item's id for good. */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
}
