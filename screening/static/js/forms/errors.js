// Form errors and conditional requirements on the server-rendered pages (not the offline app).
//
// * A page that comes back with errors moves focus to the first field in error, so a
//   keyboard or screen-reader user lands where the fix is; the error summary at the top
//   (role="alert") is announced and links to each field.
// * A field marked data-required-when="concern" (the short justification of an assessment)
//   is labelled "påkrævet" and gets aria-required as soon as a yellow or red statement is
//   ticked in its form (inputs marked data-concern); the server checks it again on submit.

/** True when any ticked statement in `inputs` is a yellow or red one. */
export function concernTicked(inputs) {
  return Array.from(inputs).some((el) => el.checked && Boolean(el.dataset.concern));
}

/** The element to focus on a page with errors: the first invalid control, else the summary. */
export function firstError(doc) {
  const invalid = doc.querySelector(
    ".field-invalid textarea, .field-invalid input:not([type=hidden]), .field-invalid select",
  );
  return invalid || doc.querySelector(".error-summary");
}

function updateRequired(form) {
  const concern = concernTicked(form.querySelectorAll("input[data-concern]"));
  form.querySelectorAll("[data-required-when=concern]").forEach((field) => {
    const required = concern || field.dataset.requiredNow === "true";
    field.setAttribute("aria-required", required ? "true" : "false");
    const mark = form.querySelector(`[data-required-mark="${field.id}"]`);
    if (mark) mark.hidden = !required;
  });
}

function init() {
  document.querySelectorAll("form").forEach((form) => {
    if (!form.querySelector("[data-required-when]")) return;
    updateRequired(form);
    form.addEventListener("change", () => updateRequired(form));
  });
  // Links in the error summary move focus to the field, not only the scroll position.
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      const control = target.matches("input, textarea, select")
        ? target
        : target.querySelector("input, textarea, select");
      (control || target).focus();
    });
  });
  const first = firstError(document);
  if (first) first.focus();
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}
