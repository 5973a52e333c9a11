import { expect, test } from '@playwright/test';
import { setUpAuthenticator, signUp, submitSignIn, totpCode, uniqueEmail } from './helpers';

// An authenticator app, the way a person sets it up and signs in with it: the account page
// shows the key (as a QR code, a link and text), the first code turns it on, the recovery codes
// are shown once, and the next sign-in asks for a code at /login/verify.

test('set up an authenticator app, then sign in with a code from it', async ({ page }) => {
  const email = uniqueEmail('totp');
  await signUp(page, 'Tess Totp', email);
  const { section, link } = await setUpAuthenticator(page);
  expect(link).toMatch(/^otpauth:\/\/totp\/Seamless:/);
  await section.getByRole('textbox', { name: 'Code' }).fill(totpCode(link));
  await section.getByRole('button', { name: 'Turn on' }).click();

  await expect(page.getByRole('status')).toContainText('Two-factor authentication is on.');
  const codes = section.locator('ol.codes li');
  await expect(codes).toHaveCount(10);
  await expect(section.getByRole('link', { name: 'Download' })).toHaveAttribute('download', 'seamless-recovery-codes.txt');
  await section.getByRole('link', { name: 'I have saved them' }).click();
  await expect(section.locator('ol.codes')).toHaveCount(0);
  await expect(section).toContainText('10 recovery codes left.');

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await submitSignIn(page, email);

  await expect(page).toHaveURL(/\/login\/verify$/);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Code' }).fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  // The next step's code: the one that turned it on cannot be used again.
  await page.getByRole('textbox', { name: 'Code' }).fill(totpCode(link, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Tess Totp');
});

test('a recovery code signs in when the phone is not at hand', async ({ page }) => {
  const email = uniqueEmail('recovery');
  await signUp(page, 'Rob Recovery', email);
  const { section, link } = await setUpAuthenticator(page);
  await section.getByRole('textbox', { name: 'Code' }).fill(totpCode(link));
  await section.getByRole('button', { name: 'Turn on' }).click();
  const recovery = (await section.locator('ol.codes li').first().textContent())!.trim();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);

  await submitSignIn(page, email);
  await page.getByRole('link', { name: 'Use a recovery code' }).click();
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(recovery);
  await page.getByRole('button', { name: 'Verify' }).click();

  await expect(page).toHaveURL(/\/todos$/);
});
