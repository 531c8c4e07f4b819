// Interactive elements smaller than 44 × 44 px on the page (see test_accessibility.py).
// Evaluated by Playwright as a function expression.
(() => {
  const small = [];
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(sel)) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    if (el.closest('[hidden], .visually-hidden, .skip-link')) continue;
    if (el.tagName === 'A' && el.closest('p, dd, td.prose, .inline-text')) continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) {
        const l = label.getBoundingClientRect();
        box = {width: Math.max(l.width, box.width), height: Math.max(l.height, box.height)};
      }
    }
    if (box.width < 43.5 || box.height < 43.5) {
      const name = (el.innerText || el.value || el.name || el.getAttribute('aria-label') || '').trim().slice(0, 40);
      small.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
})
