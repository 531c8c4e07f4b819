// Encryption on the device (screening/static/js/offline/crypto.js), with Node's WebCrypto.
import assert from "node:assert/strict";
import { test } from "node:test";

import { b64bytes, importDataKey, newId, place, seal, unseal, unwrapKey, wrapKey } from "../../screening/static/js/offline/crypto.js";

// Few PBKDF2 iterations keep the tests fast; the app uses PBKDF2_ITERATIONS.
const FAST = 1000;

function rawKey() {
  return crypto.getRandomValues(new Uint8Array(32));
}

test("a sealed record opens only with its key and at its place", async () => {
  const key = await importDataKey(rawKey());
  const other = await importDataKey(rawKey());
  const value = { payload: { child_id: 17, note: "Søvn – ø, æ, å" } };
  const box = await seal(key, place(7, "items", "a"), value);
  assert.deepEqual(await unseal(key, place(7, "items", "a"), box), value);
  await assert.rejects(unseal(other, place(7, "items", "a"), box));
  await assert.rejects(unseal(key, place(8, "items", "a"), box)); // another user
  await assert.rejects(unseal(key, place(7, "packs", "a"), box)); // another store
  await assert.rejects(unseal(key, place(7, "items", "b"), box)); // another id
});

test("nothing of the content is in the sealed bytes, and every seal has its own IV", async () => {
  const key = await importDataKey(rawKey());
  const a = await seal(key, "7:items:a", { note: "Hemmelig note" });
  const b = await seal(key, "7:items:a", { note: "Hemmelig note" });
  assert.equal(a.iv.length, 12);
  assert.notDeepEqual(a.iv, b.iv);
  assert.notDeepEqual(new Uint8Array(a.ct), new Uint8Array(b.ct));
  assert.ok(!Buffer.from(a.ct).toString("latin1").includes("Hemmelig"));
});

test("the data key is not extractable", async () => {
  const key = await importDataKey(rawKey());
  assert.equal(key.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("raw", key));
});

test("a wrapped key opens with its PIN and user only", async () => {
  const raw = rawKey();
  const wrapped = await wrapKey(raw, "246810", 7, FAST);
  assert.equal(wrapped.salt.length, 16);
  assert.equal(wrapped.iterations, FAST);
  const key = await unwrapKey({ userId: 7, ...wrapped }, "246810");
  const box = await seal(key, "7:state:7", { ok: true });
  // The unwrapped key is the same key: a record sealed with the raw key opens.
  assert.deepEqual(await unseal(await importDataKey(raw), "7:state:7", box), { ok: true });
  await assert.rejects(unwrapKey({ userId: 7, ...wrapped }, "246811"));
  await assert.rejects(unwrapKey({ userId: 8, ...wrapped }, "246810"));
});

test("each wrapping has its own salt", async () => {
  const raw = rawKey();
  const a = await wrapKey(raw, "246810", 7, FAST);
  const b = await wrapKey(raw, "246810", 7, FAST);
  assert.notDeepEqual(a.salt, b.salt);
});

test("base64 from the server becomes the key's bytes", () => {
  const bytes = Uint8Array.from([0, 1, 254, 255, 128]);
  assert.deepEqual(b64bytes(Buffer.from(bytes).toString("base64")), bytes);
});

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("item ids are v4 UUIDs, also where randomUUID is missing", () => {
  const ids = new Set(Array.from({ length: 200 }, newId));
  assert.equal(ids.size, 200);
  for (const id of ids) assert.match(id, UUID4);
  // Older browsers have getRandomValues only.
  Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
  try {
    assert.equal(crypto.randomUUID, undefined);
    const made = Array.from({ length: 200 }, newId);
    assert.equal(new Set(made).size, 200);
    for (const id of made) assert.match(id, UUID4);
  } finally {
    delete crypto.randomUUID;
  }
  assert.equal(typeof crypto.randomUUID, "function");
});
