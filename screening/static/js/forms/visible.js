// Keeps the focused field visible above a sticky bar (the assessment form's "Gem kladde /
// Indsend vurdering"), WCAG 2.4.11. CSS `scroll-padding-bottom` covers small controls; a tall
// field (a textarea) is scrolled by Chromium only as far as its caret, so it can end under
// the bar: this scrolls the rest into view.

/** How far to scroll down so a box ending at `bottom` clears a bar starting at `barTop`. */
export function overlap(box, barTop, margin = 16) {
  const needed = box.bottom - barTop + margin;
  // Never scroll the top of the box out of sight to show its bottom.
  return needed > 0 ? Math.min(needed, Math.max(0, box.top - margin)) : 0;
}

function keepVisible(event) {
  const bar = document.querySelector(".sticky-actions");
  const el = event.target;
  if (!bar || !(el instanceof Element) || bar.contains(el)) return;
  const by = overlap((el.closest("label") || el).getBoundingClientRect(), bar.getBoundingClientRect().top);
  if (by > 0) window.scrollBy(0, by);
}

if (typeof document !== "undefined") document.addEventListener("focusin", keepVisible);
