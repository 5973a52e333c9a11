import { expect, test } from '@playwright/test';
import { addTask, hydrated, signUp, uniqueEmail } from './helpers';

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
