import { expect, test } from '@playwright/test';
import { addTasksDirectly, PASSWORD, signUp, uniqueEmail } from './helpers';

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
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
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
  // The page after the delete says what went, and puts it back.
  await expect(page.getByRole('status')).toContainText('Deleted \u201cStill works\u201d.');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('checkbox', { name: 'Still works', exact: true })).toBeChecked();
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveCount(0);
});

test('without JavaScript, a wrong password still shows the error on the page', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('textbox', { name: 'Email' }).fill(uniqueEmail('nobody'));
  await page.getByLabel('Password', { exact: true }).fill('whatever it is');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
});

test('without JavaScript: "Show more" is a link to the next page, where editing stays', async ({ page, baseURL }) => {
  await signUp(page, 'Long No Script', uniqueEmail('nojs-paging'), PASSWORD, { script: false });
  await addTasksDirectly(page, baseURL!, 55);
  await page.goto('/todos');
  const items = page.getByRole('list', { name: 'Tasks' }).getByRole('listitem');
  await expect(items).toHaveCount(50);

  await page.getByRole('link', { name: 'Show more' }).click();
  // The cursor: the last task's short id and its place in the order.
  await expect(page).toHaveURL(/\/todos\?after=[A-Za-z0-9_-]{22}~[0-9a-z]+$/);
  await expect(items).toHaveCount(5);
  await expect(page.getByRole('checkbox', { name: 'Task 51', exact: true })).toBeVisible();
  const second = page.url();

  await page.getByRole('button', { name: 'Edit Task 53', exact: true }).click();
  await page.getByRole('textbox', { name: 'Edit task' }).fill('Renamed on page two');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(second);
  await expect(page.getByRole('checkbox', { name: 'Renamed on page two', exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'Back to the start' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole('checkbox', { name: 'Task 1', exact: true })).toBeVisible();
});
