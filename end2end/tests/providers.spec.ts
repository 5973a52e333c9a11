import { expect, test, type Page } from '@playwright/test';
import { hydrated, linkFromMail, signUp, uniqueEmail } from './helpers';

// The app is configured against a local stand-in for GitHub and Google that speaks their real
// OAuth 2 / OpenID Connect protocols (see examples/oauth_standin.rs).

for (const [provider, name] of [
  ['GitHub', 'The Octocat'],
  ['Google', 'Gina Google'],
] as const) {
  test(`"Continue with ${provider}" from the sign-in page ends signed in on the task list`, async ({ page }) => {
    await page.goto('/login');
    await hydrated(page);

    await page.getByRole('link', { name: `Continue with ${provider}` }).click();

    await expect(page).toHaveURL(/\/todos$/);
    await expect(page.getByRole('navigation', { name: 'Account' })).toContainText(name);
    await expect(page.getByRole('textbox', { name: 'New task' })).toBeVisible();
  });
}

// "Acme ID" is a real, certified OpenID provider (npm oidc-provider, end2end/oidc/provider.mjs)
// configured as an `[[oidc]]` entry: its own login and consent pages, and, as standard
// providers do, the email and name only at its userinfo endpoint.

/** At the OpenID provider's own pages: sign in as `login`, then allow the app. */
async function atAcme(page: Page, login: string): Promise<void> {
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

test('"Continue with Acme ID", a standard OpenID provider, signs a new person in with the profile from its userinfo endpoint', async ({ page }) => {
  const email = uniqueEmail('oona');
  await page.goto('/login');
  await hydrated(page);
  const providers = page.locator('.providers a');
  await expect(providers).toHaveText(['Continue with GitHub', 'Continue with Google', 'Continue with Acme ID']);

  await page.getByRole('link', { name: 'Continue with Acme ID' }).click();
  await atAcme(page, email);

  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Oona Openid');
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByText(email).first()).toBeVisible();
  await expect(page.getByText('Verified', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Unlink Acme ID' })).toBeVisible();
});

test('an account links Acme ID on the account page, and Acme ID then signs into it', async ({ page }) => {
  const email = uniqueEmail('linker');
  await signUp(page, 'Lin Linker', email);
  await page.goto(await linkFromMail(email, '/verify-email'));
  await hydrated(page);
  await page.getByRole('button', { name: 'Verify email' }).click();
  await expect(page).toHaveURL(/\/account\?verified=1$/);
  await hydrated(page);

  const login = uniqueEmail('lin-at-acme');
  await page.getByRole('link', { name: 'Link Acme ID' }).click();
  await atAcme(page, login);

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(`Linked as ${login}`)).toBeVisible();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/login');
  await page.getByRole('link', { name: 'Continue with Acme ID' }).click();
  // Still signed in at Acme, which remembers the consent: straight back.
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Lin Linker');
});
