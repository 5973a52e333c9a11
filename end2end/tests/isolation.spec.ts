import { expect, test } from '@playwright/test';
import { addTask, signUp, uniqueEmail } from './helpers';

test('two people never see each other\'s tasks', async ({ browser }) => {
  const alice = await browser.newContext();
  const bob = await browser.newContext();
  const a = await alice.newPage();
  const b = await bob.newPage();

  await signUp(a, 'Alice', uniqueEmail('alice'));
  await signUp(b, 'Bob', uniqueEmail('bob'));
  await addTask(a, 'Alice only: surprise party');
  await addTask(b, 'Bob only: buy a gift');

  await b.reload();
  await expect(b.getByRole('checkbox', { name: 'Bob only: buy a gift' })).toBeVisible();
  await expect(b.getByText('Alice only')).toHaveCount(0);
  await a.reload();
  await expect(a.getByRole('checkbox', { name: 'Alice only: surprise party' })).toBeVisible();
  await expect(a.getByText('Bob only')).toHaveCount(0);

  await alice.close();
  await bob.close();
});
