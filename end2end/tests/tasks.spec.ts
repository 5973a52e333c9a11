import { expect, test } from '@playwright/test';
import { addTask, hydrated, PASSWORD, signUp, uniqueEmail } from './helpers';

// What a person manages in a task beyond its title (issue 17): its notes.

test('notes are added in the edit form and shown under the title, line breaks kept', async ({ page }) => {
  await signUp(page, 'Nora Notes', uniqueEmail('notes'));
  await addTask(page, 'Plan the party');
  await page.getByRole('button', { name: 'Edit Plan the party', exact: true }).click();
  const notes = page.getByRole('textbox', { name: 'Notes' });
  await notes.fill('Cake <b>and</b> candles\nInvite everyone');
  await page.getByRole('button', { name: 'Save' }).click();

  const task = page.getByRole('checkbox', { name: 'Plan the party', exact: true });
  await expect(task).toHaveAccessibleDescription('Cake <b>and</b> candles\nInvite everyone');
  const shown = page.locator('.todo__notes');
  await expect(shown).toHaveText('Cake <b>and</b> candles\nInvite everyone');
  // Two lines, as typed: the line break is kept on screen.
  const lines = await shown.evaluate((p) => Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)));
  expect(lines).toBe(2);

  // A refused save keeps what was typed in the notes.
  await page.getByRole('button', { name: 'Edit Plan the party', exact: true }).click();
  await expect(notes).toHaveValue('Cake <b>and</b> candles\nInvite everyone');
  await page.getByRole('textbox', { name: 'Edit task' }).fill('   ');
  await notes.fill('Changed my mind');
  await page.getByRole('textbox', { name: 'Edit task' }).evaluate((e) => e.removeAttribute('required'));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('Give the task a title.');
  await expect(notes).toHaveValue('Changed my mind');

  await page.reload();
  await hydrated(page);
  await expect(page.locator('.todo__notes')).toHaveText('Cake <b>and</b> candles\nInvite everyone');
});

/** The filter links and the search, as a person uses them; with or without JavaScript the
 *  view is in the address. */
async function filterAndSearch(page: import('@playwright/test').Page): Promise<void> {
  const list = page.getByRole('list', { name: 'Tasks' });
  const show = page.getByRole('navigation', { name: 'Show' });
  await page.getByRole('checkbox', { name: 'Buy milk', exact: true }).click();
  await expect(page.getByRole('checkbox', { name: 'Buy milk', exact: true })).toBeChecked();

  await show.getByRole('link', { name: 'Active' }).click();
  await expect(page).toHaveURL(/\/todos\?filter=active$/);
  await expect(show.getByRole('link', { name: 'Active' })).toHaveAttribute('aria-current', 'page');
  await expect(show.getByRole('link', { name: 'Completed' })).toHaveText('Completed 1');
  await expect(list.getByRole('checkbox')).toHaveText(['Crème brûlée', 'Call the bank']);

  await page.getByRole('textbox', { name: 'Search tasks' }).fill('CRÈME');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(/\/todos\?filter=active&q=CR%C3%88ME$/);
  await expect(list.getByRole('checkbox')).toHaveText(['Crème brûlée']);

  // The address is the view: a reload keeps it.
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Search tasks' })).toHaveValue('CRÈME');
  await expect(list.getByRole('checkbox')).toHaveText(['Crème brûlée']);
  await show.getByRole('link', { name: 'Completed' }).click();
  await expect(page.getByText('No task matches “CRÈME”.')).toBeVisible();
  await page.getByRole('link', { name: 'Show all tasks' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(list.getByRole('checkbox')).toHaveCount(3);
}

test('filter and search the list with JavaScript', async ({ page }) => {
  await signUp(page, 'Fay Filter', uniqueEmail('filters'));
  for (const title of ['Buy milk', 'Crème brûlée', 'Call the bank']) {
    await addTask(page, title);
  }
  await filterAndSearch(page);

  // A search in place is in the history too: Back shows the list before it.
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Search tasks' }).fill('bank');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(/\/todos\?q=bank$/);
  const list = page.getByRole('list', { name: 'Tasks' });
  await expect(list.getByRole('checkbox')).toHaveText(['Call the bank']);
  await page.goBack();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(list.getByRole('checkbox')).toHaveCount(3);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('filter and search the list with plain links and a plain form', async ({ page }) => {
    await signUp(page, 'Nico Noscript', uniqueEmail('filters-nojs'), PASSWORD, { script: false });
    for (const title of ['Buy milk', 'Crème brûlée', 'Call the bank']) {
      await page.getByRole('textbox', { name: 'New task' }).fill(title);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await expect(page.getByRole('checkbox', { name: title, exact: true })).toBeVisible();
    }
    await filterAndSearch(page);
  });
});

test('mark all done, then clear completed after saying yes once', async ({ page }) => {
  await signUp(page, 'Bea Bulk', uniqueEmail('bulk'));
  for (const title of ['One', 'Two', 'Three']) {
    await addTask(page, title);
  }
  await page.getByRole('button', { name: 'Mark all done' }).click();
  await expect(page.getByText('All done')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Tasks' }).getByRole('checkbox', { checked: true })).toHaveCount(3);

  await page.getByRole('button', { name: 'Clear completed' }).click();
  await expect(page.getByText('Delete the 3 completed tasks?')).toBeVisible();
  // Changing one's mind deletes nothing.
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect(page.getByRole('list', { name: 'Tasks' }).getByRole('checkbox')).toHaveCount(3);
  await page.getByRole('button', { name: 'Clear completed' }).click();
  await page.getByRole('button', { name: 'Delete 3 tasks' }).click();
  await expect(page.getByText('No tasks yet')).toBeVisible();
  await expect(page).toHaveURL(/\/todos$/);
});

/** The task titles in the list, top to bottom. */
async function order(page: import('@playwright/test').Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Tasks' }).getByRole('checkbox').allTextContents();
}

test('tasks are reordered with their buttons and with Alt+Arrow, and the order stays', async ({ page }) => {
  await signUp(page, 'Otto Order', uniqueEmail('order'));
  for (const title of ['Alpha', 'Bravo', 'Charlie']) {
    await addTask(page, title);
  }
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Bravo', 'Charlie']);
  await expect(page.getByRole('button', { name: 'Move up Alpha', exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Move down Charlie', exact: true })).toBeDisabled();

  await page.getByRole('button', { name: 'Move up Charlie', exact: true }).click();
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Charlie', 'Bravo']);
  await expect(page).toHaveURL(/\/todos$/);

  // With the keyboard: the task keeps the focus in its new place.
  const alpha = page.getByRole('checkbox', { name: 'Alpha', exact: true });
  await alpha.focus();
  await page.keyboard.press('Alt+ArrowDown');
  await expect.poll(() => order(page)).toEqual(['Charlie', 'Alpha', 'Bravo']);
  await expect(page.getByRole('checkbox', { name: 'Alpha', exact: true })).toBeFocused();
  await page.keyboard.press('Alt+ArrowUp');
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Charlie', 'Bravo']);

  await page.reload();
  await hydrated(page);
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Charlie', 'Bravo']);
  // Other orders: newest first, by the link, in the address.
  await page.getByRole('navigation', { name: 'Sort' }).getByRole('link', { name: 'Newest' }).click();
  await expect(page).toHaveURL(/sort=newest/);
  await expect.poll(() => order(page)).toEqual(['Charlie', 'Bravo', 'Alpha']);
  await expect(page.getByRole('button', { name: 'Move up Bravo', exact: true })).toHaveCount(0);
});
