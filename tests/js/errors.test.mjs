// Storage errors as the user is told about them (screening/static/js/offline/errors.js).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { storageErrorKey, storageErrorKeys } from "../../screening/static/js/offline/errors.js";

function domError(name) {
  const error = new Error("The browser's English text");
  error.name = name;
  return error;
}

test("each storage error the app can meet has its own advice", () => {
  assert.equal(storageErrorKey(domError("QuotaExceededError")), "storage_quota");
  assert.equal(storageErrorKey(domError("InvalidStateError")), "storage_closed");
  assert.equal(storageErrorKey(domError("TransactionInactiveError")), "storage_closed");
  assert.equal(storageErrorKey(domError("UnknownError")), "storage_unknown");
  assert.equal(storageErrorKey(domError("AbortError")), "storage_aborted");
  assert.equal(storageErrorKey(domError("VersionError")), "storage_version");
  assert.equal(storageErrorKey(domError("SecurityError")), "storage_denied");
  assert.equal(storageErrorKey(domError("OperationError")), "storage_crypto");
});

test("anything else gets the general advice, never the browser's text", () => {
  assert.equal(storageErrorKey(domError("SomethingNew")), "storage_unknown");
  assert.equal(storageErrorKey(new TypeError("x")), "storage_unknown");
  assert.equal(storageErrorKey("a string"), "storage_unknown");
  assert.equal(storageErrorKey(null), "storage_unknown");
});

test("the page has a Danish text for every key", () => {
  const page = readFileSync(new URL("../../templates/offline/app.html", import.meta.url), "utf8");
  for (const key of storageErrorKeys()) assert.match(page, new RegExp("'" + key + "': _\\("), key);
});
