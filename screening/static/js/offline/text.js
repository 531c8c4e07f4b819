/* Words, dates and ages as the offline app shows them. Pure: no DOM, no storage (runs under
   Node for the unit tests). The Danish and English strings themselves come from the page
   (templates/offline/app.html, translated by Flask-Babel). */

/** A translator over `strings` ({key: text with {name} placeholders}). */
export function makeTranslator(strings) {
  return function t(key, values) {
    let text = strings[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  };
}

/** A count in words: the text `key + "_one"` for 1, else `key + "_many"` (the page makes
    both with ngettext, so each language has its own forms), with {n} filled in. */
export function plural(t, key, n, values) {
  return t(key + (n === 1 ? "_one" : "_many"), { ...values, n });
}

/** A {da, en} pair from the pack in the chosen language (Danish when English is missing). */
export function label(pair, lang) {
  if (!pair) return "";
  return pair[lang] || pair.da || "";
}

/** A date-and-time formatter for ISO strings; empty for none. One Intl object, made once. */
export function timeFormatter(lang) {
  const format = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "da-DK", {
    dateStyle: "short",
    timeStyle: "short",
  });
  return (iso) => (iso ? format.format(new Date(iso)) : "");
}

/** A clock-time formatter (hours and minutes) for times within the day, e.g. the next try. */
export function clockFormatter(lang) {
  const format = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "da-DK", { timeStyle: "short" });
  return (ms) => (ms ? format.format(new Date(ms)) : "");
}

/** The local date as YYYY-MM-DD (what a date input holds). */
export function localDate(d = new Date()) {
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
}

/** Whole months from `birth` to `on` (both YYYY-MM-DD). */
export function ageInMonths(birth, on) {
  const b = new Date(birth);
  const d = new Date(on);
  return (d.getFullYear() - b.getFullYear()) * 12 + d.getMonth() - b.getMonth() - (d.getDate() < b.getDate() ? 1 : 0);
}

/** "1 md." or "14 mdr." under two years, else "3 år" or "3 år og 2 mdr.", in the
    translator's language. */
export function ageText(t, birth, on) {
  const months = ageInMonths(birth, on);
  if (months < 24) return plural(t, "age_months", months);
  const years = Math.floor(months / 12);
  if (months % 12 === 0) return t("age_years", { y: years });
  return plural(t, "age_years_months", months % 12, { y: years });
}
