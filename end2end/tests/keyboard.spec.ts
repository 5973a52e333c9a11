import { expect, test, type Page } from '@playwright/test';

import { addTask, hydrated, signUp, uniqueEmail } from './helpers';

// Keyboard-only use of each page: Tab reaches every control once, in the order they stand in
// the page (no positive tabindex), each with a visible focus indicator, and Tab leaves the page
// after the last one (no trap).

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), textarea:not([disabled]), select:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

interface Stop {
  id: string;
  visibleFocus: boolean;
}

async function expectKeyboardUsable(page: Page, what: string): Promise<void> {
  const controls: string[] = await page.evaluate((selector) => {
    const shown = (el: Element) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    return Array.from(document.querySelectorAll(selector))
      .filter(shown)
      .map((el, i) => {
        el.setAttribute('data-kb', String(i));
        return String(i);
      });
  }, FOCUSABLE);
  const positive = await page.locator('[tabindex]:not([tabindex="-1"]):not([tabindex="0"])').count();
  expect(positive, `${what}: no positive tabindex`).toBe(0);

  // Tab starts from the top of a freshly loaded page (callers load it just before).
  const stops: Stop[] = [];
  for (let i = 0; i < controls.length + 2; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      if (!el.hasAttribute('data-kb')) return { id: `unlisted ${el.outerHTML.slice(0, 60)}`, visibleFocus: true };
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      return { id: el.getAttribute('data-kb')!, visibleFocus: outline || style.boxShadow !== 'none' };
    });
    if (!stop) break;
    stops.push(stop);
  }
  expect(
    stops.map((s) => s.id),
    `${what}: Tab visits every control once, in the page's order, then leaves`,
  ).toEqual(controls);
  const unmarked = stops.filter((s) => !s.visibleFocus).map((s) => s.id);
  expect(unmarked, `${what}: controls without a visible focus indicator`).toEqual([]);
}

test('the signed-out pages work from the keyboard alone', async ({ page }) => {
  for (const path of ['/', '/login', '/signup', '/forgot-password']) {
    await page.goto(path);
    await hydrated(page);
    await expectKeyboardUsable(page, path);
  }
});

test('the task list and the account page work from the keyboard alone', async ({ page }) => {
  await signUp(page, 'Ada Lovelace', uniqueEmail('keyboard'));
  await addTask(page, 'Write report');
  await page.goto('/todos');
  await hydrated(page);
  await expectKeyboardUsable(page, '/todos');

  // Adding a task from the keyboard: type, Enter; the field is ready for the next one.
  const field = page.getByRole('textbox', { name: 'New task' });
  await field.focus();
  await page.keyboard.type('Call the bank');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('checkbox', { name: 'Call the bank', exact: true })).toBeVisible();

  await page.goto('/account');
  await hydrated(page);
  await expectKeyboardUsable(page, '/account');
});
