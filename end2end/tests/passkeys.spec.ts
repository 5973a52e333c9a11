import { expect, test, type CDPSession, type Page } from '@playwright/test';
import { hydrated, linkFromMail, setUpAuthenticator, signUp, totpCode, uniqueEmail } from './helpers';

// Passkeys in Chromium with its virtual authenticator (CDP WebAuthn): an internal platform
// authenticator with user verification, as a phone or a laptop with a fingerprint reader.
// Chromium answers a waiting autofill request (conditional mediation) at once from a virtual
// authenticator, as if the person had picked the passkey from the email field's list.

/** A virtual authenticator on `page`'s browser, and the CDP session that reads it. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
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
  return { cdp, authenticatorId };
}

/** A browser without passkey autofill (conditional mediation), as some still are: the
 *  buttons are the way to use a passkey there. */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

/** On `/account`: "Add a passkey" named `device`, until the list shows it. */
async function addPasskey(page: Page, device: string): Promise<void> {
  await page.goto('/account');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Passkeys' });
  await section.getByRole('textbox', { name: 'Device' }).fill(device);
  await section.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('status')).toContainText('The passkey is added.');
  await expect(section).toContainText(device);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
}

test('add a passkey, sign in with it alone, then remove it', async ({ page }) => {
  await withoutAutofill(page);
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const email = uniqueEmail('passkey');
  await signUp(page, 'Pat Passkey', email);
  await addPasskey(page, 'Test laptop');
  const section = page.getByRole('region', { name: 'Passkeys' });
  await expect(section).toContainText('not used yet');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  await signOut(page);
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

test("the email field's autofill offers the passkey, and picking it signs in", async ({ page }) => {
  await virtualAuthenticator(page);
  await signUp(page, 'Ava Autofill', uniqueEmail('autofill'));
  await addPasskey(page, 'Ava phone');
  await signOut(page);
  const asked: string[] = [];
  page.on('request', (r) => asked.push(new URL(r.url()).pathname));

  // The email field asks the browser to list passkeys with the saved addresses.
  const login = await (await page.request.get('/login')).text();
  expect(login).toMatch(/<input id="login-email"[^>]* autocomplete="username webauthn"/);

  await page.goto('/login?next=/account');

  // No button pressed: the waiting autofill request was answered, and it signed in.
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Ava Autofill');
  expect(asked).toContain('/rpc/passkey_sign_in_options');
  expect(asked).toContain('/rpc/sign_in_with_passkey');
});

test('a password reset of an account with two-factor on is confirmed with a passkey', async ({ page }) => {
  await withoutAutofill(page);
  await virtualAuthenticator(page);
  const email = uniqueEmail('reset-passkey');
  await signUp(page, 'Rae Reset', email);
  const { section, link } = await setUpAuthenticator(page);
  await section.getByRole('textbox', { name: 'Code' }).fill(totpCode(link));
  await section.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('status')).toContainText('Two-factor authentication is on.');
  await addPasskey(page, 'Rae phone');
  await signOut(page);

  await page.goto('/forgot-password');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account exists');
  await page.goto(await linkFromMail(email, '/reset-password'));
  await hydrated(page);
  await expect(page.getByRole('textbox', { name: 'Code' })).toBeVisible();
  await page.getByLabel('New password').fill('orchid lantern meadow drift');
  await page.getByRole('button', { name: 'Reset with a passkey' }).click();

  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('orchid lantern meadow drift');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
});
