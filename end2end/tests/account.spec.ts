import { expect, test } from '@playwright/test';
import { hydrated, linkFromMail, PASSWORD, signIn, signUp, uniqueEmail } from './helpers';

test('forgot password: the emailed link sets a new password that then signs in', async ({ page }) => {
  const email = uniqueEmail('reset');
  await signUp(page, 'Reset Me', email);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account exists for that address');

  await page.goto(await linkFromMail(email, '/reset-password'));
  await hydrated(page);
  await page.getByLabel('New password', { exact: true }).fill('an entirely new passphrase');
  await page.getByRole('button', { name: 'Reset password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByRole('status')).toHaveText('Your password has been reset. Sign in with your new password.');

  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
  await signIn(page, email, 'an entirely new passphrase');
});

test('revoking another session from the account page signs that browser out', async ({ browser }) => {
  const email = uniqueEmail('revoke');
  const laptop = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();
  await signUp(laptop, 'Two Devices', email);
  await signIn(phone, email);

  await laptop.goto('/account');
  await hydrated(laptop);
  const sessions = laptop.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
  await expect(sessions).toHaveCount(2);
  const other = sessions.filter({ hasNotText: 'This device' });
  await other.getByRole('button', { name: 'Revoke' }).click();
  await expect(laptop.getByRole('status')).toHaveText('The session is revoked.');
  await expect(sessions).toHaveCount(1);

  await phone.getByRole('textbox', { name: 'New task' }).fill('After being revoked');
  await phone.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(phone).toHaveURL(/\/login\?next=%2Ftodos&reason=expired/);
  await phone.goto('/todos');
  await expect(phone).toHaveURL(/\/login/);
});

test('pages hydrate under the Content-Security-Policy without a single violation', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  const response = await page.goto('/signup');
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(csp).not.toContain('unsafe-inline');
  await hydrated(page);
  await signUp(page, 'Strict Policy', uniqueEmail('csp'));
  await page.goto('/account');
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Name' }).fill('Strict Policy Renamed');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Strict Policy Renamed');
  expect(violations).toEqual([]);
});

test('changing the password from the account page keeps this browser signed in', async ({ page }) => {
  const email = uniqueEmail('pwswap');
  await signUp(page, 'Changer', email);
  await page.goto('/account');
  await hydrated(page);
  await page.getByLabel('Current password', { exact: true }).fill('not the password');
  await page.getByLabel('New password', { exact: true }).fill('a changed passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('Your current password is not correct.');

  await page.getByLabel('Current password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password is changed');
  await page.goto('/todos');
  await expect(page).toHaveURL(/\/todos$/);
});

test('providers can be linked from the account page only once the email is verified', async ({ page }) => {
  const email = uniqueEmail('link');
  await signUp(page, 'Link Later', email);
  await page.goto('/account');
  await hydrated(page);
  const methods = page.getByRole('region', { name: 'Sign-in methods' });
  await expect(methods).toContainText('Verify your email address to link GitHub, Google or Acme ID');
  await expect(methods.getByRole('button', { name: 'Resend', exact: true })).toBeVisible();
  await expect(methods.getByRole('link', { name: 'Link GitHub' })).toHaveCount(0);

  await methods.getByRole('button', { name: 'Resend', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('We sent you a new verification link.');
  await page.goto(await linkFromMail(email, '/verify-email'));
  await hydrated(page);
  await page.getByRole('button', { name: 'Verify email' }).click();
  await expect(page).toHaveURL(/\/account\?verified=1$/);
  await expect(methods.getByRole('link', { name: 'Link GitHub' })).toBeVisible();
  await expect(methods.getByRole('button', { name: 'Resend', exact: true })).toHaveCount(0);
});

test('a step through the history that only changes the fragment keeps the page and what was typed', async ({ page }) => {
  await signUp(page, 'Hugo Hash', uniqueEmail('hash'));
  await page.goto('/account');
  await hydrated(page);
  // The page's own fetches of itself (a swap), as opposed to the browser's navigations.
  const swaps: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/account' && !request.isNavigationRequest()) {
      swaps.push(request.url());
    }
  });
  const name = page.getByRole('textbox', { name: 'Name' });
  await name.fill('Typed meanwhile');
  // As after "Set up authenticator app" (a redirect to /account#two-factor-title), then Back.
  await page.evaluate(() => {
    location.hash = 'two-factor-title';
  });
  await page.goBack();
  // A round trip after both steps: a swap they started would have been asked for by now.
  await page.evaluate(() => fetch('/healthz').then((res) => res.status));
  expect(swaps).toEqual([]);
  await expect(name).toHaveValue('Typed meanwhile');
});
