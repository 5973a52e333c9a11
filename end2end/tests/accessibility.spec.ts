import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

import { addTask, hydrated, linkFromMail, setUpAuthenticator, signUp, submitSignIn, totpCode, uniqueEmail } from './helpers';

// WCAG 2.2 AA, as axe-core checks it, on every page, in both colour schemes the pages declare
// (`color-scheme: light dark`) and at a desktop and a phone width. Any violation of impact
// serious or critical fails, and names the rule and the elements.

const WIDTHS = [1280, 390];
const SCHEMES = ['light', 'dark'] as const;

async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `${what}: WCAG AA violations`).toEqual([]);
}

for (const scheme of SCHEMES) {
  for (const width of WIDTHS) {
    test.describe(`${scheme}, ${width}px`, () => {
      test.beforeEach(async ({ page }) => {
        await page.emulateMedia({ colorScheme: scheme });
        await page.setViewportSize({ width, height: 900 });
      });

      test('the signed-out pages and the error page meet WCAG AA', async ({ page }) => {
        for (const path of [
          '/',
          '/login',
          '/signup',
          '/forgot-password',
          '/reset-password?token=not-a-real-token',
          '/verify-email?token=not-a-real-token',
          '/login/verify',
          '/no-such-page',
        ]) {
          await page.goto(path);
          await hydrated(page);
          await expectAccessible(page, path);
        }
      });

      test('two-factor authentication: setting up, the recovery codes and the code at sign-in meet WCAG AA', async ({ page }) => {
        const email = uniqueEmail('a11y-2fa');
        await signUp(page, 'Ada Lovelace', email);
        const { section, link } = await setUpAuthenticator(page);
        await expectAccessible(page, '/account, setting up an authenticator app');
        await section.getByRole('textbox', { name: 'Code' }).fill(totpCode(link));
        await section.getByRole('button', { name: 'Turn on' }).click();
        await expect(section.locator('ol.codes li')).toHaveCount(10);
        await expectAccessible(page, '/account, the recovery codes');
        await page.getByRole('button', { name: 'Sign out', exact: true }).click();
        await expect(page).toHaveURL(/\/$/);
        await submitSignIn(page, email);
        await expect(page.getByRole('textbox', { name: 'Code' })).toBeVisible();
        await expectAccessible(page, '/login/verify');
        await page.getByRole('link', { name: 'Use a recovery code' }).click();
        await expect(page.getByRole('textbox', { name: 'Recovery code' })).toBeVisible();
        await expectAccessible(page, '/login/verify, recovery code');
      });

      test('the task list, empty, with tasks and editing, the account page and the email links meet WCAG AA', async ({ page }) => {
        const email = uniqueEmail('a11y');
        await signUp(page, 'Ada Lovelace', email);
        await expectAccessible(page, '/todos, empty');

        await addTask(page, 'Write report');
        await addTask(page, 'Buy milk');
        const milk = page.getByRole('checkbox', { name: 'Buy milk', exact: true });
        await milk.click();
        await expect(milk).toBeChecked();
        await expectAccessible(page, '/todos, with tasks');

        await page.getByRole('button', { name: 'Edit Write report', exact: true }).click();
        await expect(page.getByRole('textbox', { name: 'Edit task' })).toBeVisible();
        await expectAccessible(page, '/todos, editing a task');

        await page.goto('/todos?select=1');
        await hydrated(page);
        await page.getByRole('checkbox', { name: 'Select Buy milk' }).check();
        await expectAccessible(page, '/todos, selecting tasks');
        await page.getByRole('button', { name: 'Delete selected' }).click();
        await expect(page.getByRole('status').filter({ hasText: 'Deleted' })).toBeVisible();
        await expectAccessible(page, '/todos, after a delete with its Undo');

        await page.goto('/account');
        await hydrated(page);
        await expectAccessible(page, '/account');

        // The pages a real link opens: the verification sent at sign-up, and a reset.
        await page.goto(await linkFromMail(email, '/verify-email'));
        await hydrated(page);
        await expect(page.getByRole('button', { name: 'Verify email' })).toBeVisible();
        await expectAccessible(page, '/verify-email with a valid link');

        await page.goto('/forgot-password');
        await hydrated(page);
        await page.getByRole('textbox', { name: 'Email' }).fill(email);
        await page.getByRole('button', { name: 'Send reset link' }).click();
        await expect(page.getByRole('status')).toContainText('If an account exists for that address');
        await expectAccessible(page, '/forgot-password, sent');
        await page.goto(await linkFromMail(email, '/reset-password'));
        await hydrated(page);
        await expect(page.getByLabel('New password', { exact: true })).toBeVisible();
        await expectAccessible(page, '/reset-password with a valid link');
      });
    });
  }
}
