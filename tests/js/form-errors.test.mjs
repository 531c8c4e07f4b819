// Conditional requirements of server-rendered forms (screening/static/js/forms/errors.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { concernTicked, firstError } from "../../screening/static/js/forms/errors.js";

const box = (checked, concern) => ({ checked, dataset: concern ? { concern } : {} });

test("a ticked yellow or red statement makes the justification required", () => {
  assert.equal(concernTicked([]), false);
  assert.equal(concernTicked([box(true, ""), box(false, "red")]), false);
  assert.equal(concernTicked([box(false, "yellow"), box(true, "yellow")]), true);
  assert.equal(concernTicked([box(true, "red")]), true);
});

test("focus goes to the first field in error, else to the summary", () => {
  const field = { name: "field" };
  const summary = { name: "summary" };
  const doc = (found) => ({ querySelector: (sel) => found(sel) });
  assert.equal(firstError(doc((sel) => (sel.includes(".field-invalid") ? field : summary))), field);
  assert.equal(firstError(doc((sel) => (sel === ".error-summary" ? summary : null))), summary);
  assert.equal(firstError(doc(() => null)), null);
});

test("a tall focused field under the sticky bar is scrolled clear of it", async () => {
  const { overlap } = await import("../../screening/static/js/forms/visible.js");
  assert.equal(overlap({ top: 100, bottom: 200 }, 720), 0); // well above the bar
  assert.equal(overlap({ top: 646, bottom: 774 }, 720), 70); // 54 px under it, plus margin
  // Taller than the space: scroll only until its top reaches the margin.
  assert.equal(overlap({ top: 40, bottom: 2000 }, 720), 24);
});
