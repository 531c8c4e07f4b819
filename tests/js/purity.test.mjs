// The pure modules stay pure: no page, no storage, no network, and they import only each
// other. What needs a browser is tested by Playwright (tests/browser/).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const FOLDER = new URL("../../screening/static/js/offline/", import.meta.url);
const PURE = ["text.js", "crypto.js", "outbox.js", "status.js", "errors.js"];
const IMPURE = /\b(document|window|indexedDB|localStorage|navigator|fetch|idb)\b/;

for (const name of PURE) {
  test(`${name} is pure`, () => {
    const source = readFileSync(new URL(name, FOLDER), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(source, IMPURE);
    for (const [, target] of source.matchAll(/^import[^"]*"([^"]+)"/gm)) {
      assert.ok(PURE.includes(target.replace("./", "")), `${name} imports ${target}`);
    }
  });
}
