import { expect, test } from '@playwright/test';
import { addTask, addTasksDirectly, hydrated, newestMailTo, PASSWORD, signIn, signUp, uniqueEmail } from './helpers';

test('sign up, manage tasks, sign out and back in: the remaining tasks are there', async ({ page }) => {
  const email = uniqueEmail('golden');
  await signUp(page, 'Grace Hopper', email);
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Grace Hopper');
  await expect(page.getByText('No tasks yet')).toBeVisible();

  // Mark the page: a full reload would lose it, client-side updates keep it.
  await page.evaluate(() => ((window as any).__stillHere = true));

  // The count is a live region: it must be the same element after each change (a new one is
  // not announced), saying the new count.
  const count = page.locator('[aria-live="polite"]');
  await count.evaluate((e) => ((e as any).__kept = true));
  for (const title of ['Buy milk', 'Write report', 'Call the bank']) {
    await addTask(page, title);
  }
  await expect(count).toHaveText('3 left');
  expect(await count.evaluate((e) => (e as any).__kept)).toBe(true);
  await expect(page.getByRole('textbox', { name: 'New task' })).toHaveValue('');
  await expect(page.getByRole('list', { name: 'Tasks' }).getByRole('listitem')).toHaveCount(3);

  const milk = page.getByRole('checkbox', { name: 'Buy milk', exact: true });
  await milk.click();
  await expect(milk).toBeChecked();

  await page.getByRole('button', { name: 'Edit Write report', exact: true }).click();
  const edit = page.getByRole('textbox', { name: 'Edit task' });
  await expect(edit).toBeFocused();
  await edit.fill('Write the quarterly report');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('checkbox', { name: 'Write the quarterly report', exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/todos$/);

  await page.getByRole('button', { name: 'Delete Call the bank', exact: true }).click();
  await expect(page.getByRole('checkbox', { name: 'Call the bank' })).toHaveCount(0);

  expect(await page.evaluate(() => (window as any).__stillHere)).toBe(true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await page.goto('/todos');
  await expect(page).toHaveURL(/\/login\?next=%2Ftodos/);

  await signIn(page, email);
  const items = page.getByRole('list', { name: 'Tasks' }).getByRole('listitem');
  await expect(items).toHaveCount(2);
  await expect(page.getByRole('checkbox', { name: 'Buy milk', exact: true })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Write the quarterly report', exact: true })).not.toBeChecked();
});

test('a wrong password shows an alert and keeps what was typed', async ({ page }) => {
  const email = uniqueEmail('wrong');
  await signUp(page, 'Wrong Pass', email);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('not my password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
  await expect(page.getByRole('textbox', { name: 'Email' })).toHaveValue(email);
  await expect(page).toHaveURL(/\/login/);
});

test('a session that ends while the page is open leads to sign-in with a message', async ({ page, context }) => {
  await signUp(page, 'Expiring', uniqueEmail('expiry'));
  await addTask(page, 'Before expiry');

  await context.clearCookies();
  await page.getByRole('textbox', { name: 'New task' }).fill('After expiry');
  await page.getByRole('button', { name: 'Add', exact: true }).click();

  await expect(page).toHaveURL(/\/login\?next=%2Ftodos&reason=expired/);
  await expect(page.getByRole('status')).toHaveText('Your session has expired. Please sign in again.');
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
});

test('signing up with a taken email tells only the owner, by mail', async ({ page, browser }) => {
  const email = uniqueEmail('taken');
  await signUp(page, 'First', email);

  const other = await browser.newPage();
  await other.goto('/signup');
  await hydrated(other);
  await other.getByRole('textbox', { name: 'Name' }).fill('Second');
  await other.getByRole('textbox', { name: 'Email' }).fill(email);
  await other.getByLabel('Password', { exact: true }).fill('another fine phrase');
  await other.getByRole('button', { name: 'Create account' }).click();

  // The page says nothing about the address; the second browser is simply not signed in.
  await expect(other).toHaveURL(/\/login/);
  await expect(other.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  await expect(other.getByText('already exists')).toHaveCount(0);
  await expect.poll(() => newestMailTo(email) ?? '').toContain('Someone tried to create a Seamless account');
  await other.close();
  // The owner's account is as it was.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});

test('a long list shows 50 tasks, and "Show more" adds the rest in place', async ({ page, baseURL }) => {
  await signUp(page, 'Long List', uniqueEmail('paging'));
  await addTasksDirectly(page, baseURL!, 60);
  await page.goto('/todos');
  await hydrated(page);
  const items = page.getByRole('list', { name: 'Tasks' }).getByRole('listitem');
  await expect(items).toHaveCount(50);
  await expect(page.getByText('60 left')).toBeVisible();
  await page.evaluate(() => ((window as any).__stillHere = true));

  await page.getByRole('link', { name: 'Show more' }).click();
  await expect(items).toHaveCount(60);
  await expect(page.getByRole('link', { name: 'Show more' })).toHaveCount(0);
  await expect(page).toHaveURL(/\/todos$/);
  expect(await page.evaluate(() => (window as any).__stillHere)).toBe(true);

  // A task from the added page can be completed, and the list stays whole.
  const late = page.getByRole('checkbox', { name: 'Task 55', exact: true });
  await late.click();
  await expect(late).toBeChecked();
  await expect(items).toHaveCount(60);
  await expect(page.getByText('59 left')).toBeVisible();
});
