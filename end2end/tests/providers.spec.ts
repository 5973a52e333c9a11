import { expect, test } from '@playwright/test';
import { hydrated } from './helpers';

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
