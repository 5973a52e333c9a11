// Runs in the page (each driver sends its source): the elements that match a CSS selector and,
// when a name is given, whose accessible name is that name. The name is computed the way the
// app's markup gives it: `aria-labelledby` (the texts of the elements it names, joined by a
// space), else `aria-label`, else a field's `<label>`, else the element's own text; spaces
// collapsed. Hidden elements (no layout box) are left out.

export function findInPage(selector, name) {
  const squash = (text) => (text || '').replace(/\s+/g, ' ').trim();
  const nameOf = (el) => {
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) {
      return squash(labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' '));
    }
    const label = el.getAttribute('aria-label');
    if (label) return squash(label);
    if (el.id) {
      const forIt = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (forIt) return squash(forIt.textContent);
    }
    return squash(el.textContent);
  };
  return [...document.querySelectorAll(selector)].filter(
    (el) => el.getClientRects().length > 0 && (name == null || nameOf(el) === name),
  );
}

/** The same, as the source of a function expression a driver can send to the page. */
export const FIND_SOURCE = findInPage.toString();
