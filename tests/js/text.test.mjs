// Words, dates and ages (screening/static/js/offline/text.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ageInMonths, ageText, label, localDate, makeTranslator, plural, timeFormatter } from "../../screening/static/js/offline/text.js";

const t = makeTranslator({
  waiting_many: "{n} venter på at blive sendt",
  waiting_one: "{n} skema venter på at blive sendt",
  age_months_one: "{n} md.",
  age_months_many: "{n} mdr.",
  age_years: "{y} år",
  age_years_months_one: "{y} år og {n} md.",
  age_years_months_many: "{y} år og {n} mdr.",
  two: "{a} og {a}",
});

test("the translator fills every placeholder and falls back to the key", () => {
  assert.equal(t("waiting_many", { n: 3 }), "3 venter på at blive sendt");
  assert.equal(t("two", { a: "x" }), "x og x");
  assert.equal(t("no_such_key"), "no_such_key");
  // A value that looks like a placeholder is not filled again.
  assert.equal(t("waiting_many", { n: "{n}" }), "{n} venter på at blive sendt");
});

test("a label is in the chosen language, Danish when the other is missing", () => {
  assert.equal(label({ da: "Glad", en: "Happy" }, "en"), "Happy");
  assert.equal(label({ da: "Glad" }, "en"), "Glad");
  assert.equal(label(null, "da"), "");
});

test("the local date is what a date input holds", () => {
  assert.equal(localDate(new Date(2026, 0, 5, 23, 59)), "2026-01-05");
  assert.equal(localDate(new Date(2026, 11, 31)), "2026-12-31");
});

test("ages count whole months, in months under two years", () => {
  assert.equal(ageInMonths("2024-03-15", "2026-03-14"), 23);
  assert.equal(ageInMonths("2024-03-15", "2026-03-15"), 24);
  assert.equal(ageText(t, "2025-06-01", "2026-04-01"), "10 mdr.");
  assert.equal(ageText(t, "2022-01-10", "2026-03-10"), "4 år og 2 mdr.");
  assert.equal(ageText(t, "2022-01-10", "2026-03-09"), "4 år og 1 md.");
  assert.equal(ageText(t, "2026-01-10", "2026-02-10"), "1 md.");
  assert.equal(ageText(t, "2023-03-10", "2026-03-10"), "3 år"); // never "og 0 mdr."
});

test("a count takes the form of its number", () => {
  assert.equal(plural(t, "waiting", 1), "1 skema venter på at blive sendt");
  assert.equal(plural(t, "waiting", 3), "3 venter på at blive sendt");
});

test("times are formatted once per language, and nothing for no time", () => {
  const da = timeFormatter("da");
  assert.equal(da(null), "");
  assert.match(da("2026-11-23T09:05:00"), /23\.11\.2026.*09[.:]05/);
  assert.match(timeFormatter("en")("2026-11-23T09:05:00"), /23\/11\/2026.*09:05/);
});
