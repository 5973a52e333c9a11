import { expect, test } from '@playwright/test';
import { hydrated, signUp, uniqueEmail } from './helpers';

// Passkeys in Chromium with its virtual authenticator (CDP WebAuthn): an internal platform
// authenticator with user verification, as a phone or a laptop with a fingerprint reader.

test('add a passkey, sign in with it alone, then remove it', async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  const email = uniqueEmail('passkey');
  await signUp(page, 'Pat Passkey', email);
  await page.goto('/account');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Passkeys' });
  await section.getByRole('textbox', { name: 'Device' }).fill('Test laptop');
  await section.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('status')).toContainText('The passkey is added.');
  await expect(section).toContainText('Test laptop');
  await expect(section).toContainText('not used yet');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();

  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Pat Passkey');

  await page.goto('/account');
  await hydrated(page);
  await expect(section).toContainText('last used');
  await section.getByRole('listitem').filter({ hasText: 'Test laptop' }).getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('status')).toContainText('The passkey is removed.');
  await expect(section).not.toContainText('Test laptop');
});
