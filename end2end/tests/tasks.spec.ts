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

test('on a searched list, mark all done and clear completed act on what the search finds', async ({ page }) => {
  await signUp(page, 'Sam Search', uniqueEmail('bulk-search'));
  for (const title of ['Call the bank', 'Bank statement', 'Buy milk']) {
    await addTask(page, title);
  }
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Search tasks' }).fill('bank');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(/\/todos\?q=bank$/);
  await page.getByRole('button', { name: 'Mark all done' }).click();
  await expect(page.getByRole('button', { name: 'Mark all done' })).toHaveCount(0);
  await expect(page.locator('#count')).toHaveText('1 left');

  await page.getByRole('button', { name: 'Clear completed' }).click();
  await expect(page.getByText('Delete the 2 completed tasks that match \u201cbank\u201d?')).toBeVisible();
  await page.getByRole('button', { name: 'Delete 2 tasks' }).click();
  await expect(page.getByText('No task matches \u201cbank\u201d.')).toBeVisible();
  await page.getByRole('link', { name: 'Show all tasks' }).click();
  await expect(page.getByRole('list', { name: 'Tasks' }).getByRole('checkbox')).toHaveText(['Buy milk']);
  await expect(page.getByRole('checkbox', { name: 'Buy milk', exact: true })).not.toBeChecked();
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

test('a delete is undone with "Undo", which goes away after a few seconds', async ({ page }) => {
  await signUp(page, 'Uma Undo', uniqueEmail('undo'));
  for (const title of ['Alpha', 'Bravo', 'Charlie']) {
    await addTask(page, title);
  }
  await page.getByRole('button', { name: 'Delete Bravo', exact: true }).click();
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Charlie']);
  const notice = page.getByRole('status').filter({ hasText: 'Deleted \u201cBravo\u201d.' });
  await expect(notice).toBeVisible();
  // The focus goes to the task after the one deleted, not to the top of the page.
  await expect(page.getByRole('checkbox', { name: 'Charlie', exact: true })).toBeFocused();
  await notice.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Bravo', 'Charlie']);
  await expect(notice).toHaveCount(0);
  await expect(page).toHaveURL(/\/todos$/);

  // Cleared tasks come back together; left alone, the Undo goes after a few seconds.
  await page.getByRole('checkbox', { name: 'Alpha', exact: true }).click();
  await page.getByRole('checkbox', { name: 'Charlie', exact: true }).click();
  await page.getByRole('button', { name: 'Clear completed' }).click();
  await page.getByRole('button', { name: 'Delete 2 tasks' }).click();
  await expect.poll(() => order(page)).toEqual(['Bravo']);
  const cleared = page.getByRole('status').filter({ hasText: 'Deleted 2 tasks.' });
  await expect(cleared).toBeVisible();
  await expect(cleared).toHaveCount(0, { timeout: 15_000 });
  await page.reload();
  await expect.poll(() => order(page)).toEqual(['Bravo']);
});

test('Escape cancels an edit, and the focus goes back to the task', async ({ page }) => {
  await signUp(page, 'Esme Escape', uniqueEmail('escape'));
  await addTask(page, 'Keep me');
  // After "Add" the focus is back in "New task", for the next one.
  await page.getByRole('textbox', { name: 'New task' }).fill('And me');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('checkbox', { name: 'And me', exact: true })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'New task' })).toBeFocused();

  await page.getByRole('button', { name: 'Edit Keep me', exact: true }).click();
  const edit = page.getByRole('textbox', { name: 'Edit task' });
  await expect(edit).toBeFocused();
  await edit.fill('Changed, then not');
  await edit.press('Escape');
  await expect(edit).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: 'Keep me', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Edit Keep me', exact: true })).toBeFocused();
});

test('due dates are named by the browser\u2019s own day', async ({ browser }) => {
  // Far from UTC: the day here is often not the day in UTC.
  const timezoneId = 'Pacific/Kiritimati';
  const context = await browser.newContext({ timezoneId });
  const page = await context.newPage();
  await signUp(page, 'Dee Due', uniqueEmail('due'));
  await addTask(page, 'Pay rent');
  const day = (offset: number) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: timezoneId }).format(new Date(Date.now() + offset * 86_400_000));
  const due = async (date: string) => {
    await page.getByRole('button', { name: 'Edit Pay rent', exact: true }).click();
    await page.getByLabel('Due').fill(date);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByLabel('Due')).toHaveCount(0);
  };
  const task = page.getByRole('checkbox', { name: 'Pay rent', exact: true });
  await due(day(0));
  await expect(task).toHaveAccessibleDescription('Today');
  await due(day(1));
  await expect(task).toHaveAccessibleDescription('Tomorrow');
  await due(day(-2));
  await expect(task).toHaveAccessibleDescription(/^Overdue: /);
  // Done, it is no longer late.
  await task.click();
  await expect(task).toBeChecked();
  await expect(task).not.toHaveAccessibleDescription(/Overdue/);
  // Removed: nothing is said.
  await due('');
  await expect(task).toHaveAccessibleDescription('');
  await context.close();
});

test('an edit from a form opened before another change is refused, and what was typed is kept', async ({ page, context }) => {
  await signUp(page, 'Stan Stale', uniqueEmail('stale'));
  await addTask(page, 'Shared plan');
  await page.getByRole('button', { name: 'Edit Shared plan', exact: true }).click();
  await page.getByRole('textbox', { name: 'Edit task' }).fill('My version');

  // Meanwhile, in another tab of the same person.
  const other = await context.newPage();
  await other.goto('/todos');
  await hydrated(other);
  await other.getByRole('button', { name: 'Edit Shared plan', exact: true }).click();
  await other.getByRole('textbox', { name: 'Edit task' }).fill('Their version');
  await other.getByRole('button', { name: 'Save' }).click();
  await expect(other.getByRole('checkbox', { name: 'Their version', exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('This task was changed somewhere else after you opened it');
  await expect(page.getByRole('textbox', { name: 'Edit task' })).toHaveValue('My version');
  // Saving again replaces the change, on purpose.
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('checkbox', { name: 'My version', exact: true })).toBeVisible();
  await other.reload();
  await expect(other.getByRole('checkbox', { name: 'My version', exact: true })).toBeVisible();
});

test('several tasks are selected, then completed or deleted together', async ({ page }) => {
  await signUp(page, 'Sel Ection', uniqueEmail('select'));
  for (const title of ['Alpha', 'Bravo', 'Charlie', 'Delta']) {
    await addTask(page, title);
  }
  await page.getByRole('link', { name: 'Select', exact: true }).click();
  const selection = page.getByRole('form', { name: 'Selected tasks' });
  await expect(selection).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select Alpha' }).check();
  await page.getByRole('checkbox', { name: 'Select Charlie' }).check();
  await selection.getByRole('button', { name: 'Complete selected' }).click();
  await expect(selection).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: 'Alpha', exact: true })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Charlie', exact: true })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Bravo', exact: true })).not.toBeChecked();

  await page.getByRole('link', { name: 'Select', exact: true }).click();
  await selection.getByRole('link', { name: 'Select all' }).click();
  await expect(page.getByRole('checkbox', { name: 'Select Delta' })).toBeChecked();
  await page.getByRole('checkbox', { name: 'Select Bravo' }).uncheck();
  await selection.getByRole('button', { name: 'Delete selected' }).click();
  await expect.poll(() => order(page)).toEqual(['Bravo']);
  const notice = page.getByRole('status').filter({ hasText: 'Deleted 3 tasks.' });
  await notice.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta']);
});

test('a task is dragged to its new place in your own order', async ({ page }) => {
  await signUp(page, 'Dora Drag', uniqueEmail('drag'));
  for (const title of ['Alpha', 'Bravo', 'Charlie']) {
    await addTask(page, title);
  }
  const row = (title: string) =>
    page.getByRole('list', { name: 'Tasks' }).getByRole('listitem').filter({ has: page.getByRole('checkbox', { name: title, exact: true }) });
  await expect(row('Charlie')).toHaveAttribute('draggable', 'true');
  // Onto the upper half of Alpha: before it.
  await row('Charlie').dragTo(row('Alpha'), { targetPosition: { x: 40, y: 4 } });
  await expect.poll(() => order(page)).toEqual(['Charlie', 'Alpha', 'Bravo']);
  // Onto the lower half of Bravo: after it, at the end.
  const box = await row('Bravo').boundingBox();
  await row('Charlie').dragTo(row('Bravo'), { targetPosition: { x: 40, y: box!.height - 4 } });
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Bravo', 'Charlie']);
  await page.reload();
  await expect.poll(() => order(page)).toEqual(['Alpha', 'Bravo', 'Charlie']);
});
