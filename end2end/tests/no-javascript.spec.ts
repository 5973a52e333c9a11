import { expect, test } from '@playwright/test';
import { PASSWORD, uniqueEmail } from './helpers';

test.use({ javaScriptEnabled: false });

test('without JavaScript: sign up, sign out, sign in and manage tasks with plain forms', async ({ page }) => {
  const email = uniqueEmail('nojs');
  await page.goto('/signup');
  await page.getByRole('textbox', { name: 'Name' }).fill('No Script');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByText('No tasks yet')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/todos$/);

  await page.getByRole('textbox', { name: 'New task' }).fill('Works without wasm');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const task = page.getByRole('checkbox', { name: 'Works without wasm', exact: true });
  await expect(task).toBeVisible();

  await task.click();
  await expect(page.getByRole('checkbox', { name: 'Works without wasm', exact: true })).toBeChecked();

  await page.getByRole('button', { name: 'Edit Works without wasm', exact: true }).click();
  await page.getByRole('textbox', { name: 'Edit task' }).fill('Still works');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('checkbox', { name: 'Still works', exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Delete Still works', exact: true }).click();
  await expect(page.getByText('No tasks yet')).toBeVisible();
});

test('without JavaScript, a wrong password still shows the error on the page', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('textbox', { name: 'Email' }).fill(uniqueEmail('nobody'));
  await page.getByLabel('Password', { exact: true }).fill('whatever it is');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
});
