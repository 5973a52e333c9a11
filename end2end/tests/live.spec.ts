import { expect, test } from '@playwright/test';
import { addTask, signIn, signUp, uniqueEmail } from './helpers';

// Every open page of a person shows their changes from elsewhere without a reload (issue 17).

test('two browsers of one person see each other\u2019s changes live', async ({ browser }) => {
  const email = uniqueEmail('live');
  const laptop = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();
  await signUp(laptop, 'Liv Live', email);
  await signIn(phone, email);
  await expect(phone.getByText('No tasks yet')).toBeVisible();
  // Both listen for changes made elsewhere.
  await expect(phone.locator('body[data-live]')).toHaveCount(1);
  await expect(laptop.locator('body[data-live]')).toHaveCount(1);

  await addTask(laptop, 'Seen on the phone');
  const onPhone = phone.getByRole('checkbox', { name: 'Seen on the phone', exact: true });
  await expect(onPhone).toBeVisible();
  await onPhone.click();
  await expect(laptop.getByRole('checkbox', { name: 'Seen on the phone', exact: true })).toBeChecked();
  await expect(laptop.locator('#count')).toHaveText('All done');

  // Typing is not disturbed: the new title being typed stays, and the change shows.
  const typing = phone.getByRole('textbox', { name: 'New task' });
  await typing.fill('Half typed');
  await addTask(laptop, 'Made meanwhile');
  await expect(phone.getByRole('checkbox', { name: 'Made meanwhile', exact: true })).toBeVisible();
  await expect(typing).toHaveValue('Half typed');
  await expect(typing).toBeFocused();

  // An open edit form is not replaced under the person; the change shows once it closes.
  await phone.getByRole('button', { name: 'Edit Made meanwhile', exact: true }).click();
  const edit = phone.getByRole('textbox', { name: 'Edit task' });
  await edit.fill('Still mine');
  await laptop.getByRole('button', { name: 'Delete Seen on the phone', exact: true }).click();
  await expect(laptop.getByRole('checkbox', { name: 'Seen on the phone', exact: true })).toHaveCount(0);
  await expect(edit).toHaveValue('Still mine');
  await expect(phone.getByRole('checkbox', { name: 'Seen on the phone', exact: true })).toBeVisible();
  await edit.press('Escape');
  await expect(phone.getByRole('checkbox', { name: 'Seen on the phone', exact: true })).toHaveCount(0);
});

test('a change made after the page was shown but before it listens still shows', async ({ browser }) => {
  const email = uniqueEmail('late');
  const laptop = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();
  await signUp(laptop, 'Lat Late', email);
  await signIn(phone, email);
  // The phone's page is shown again, and its stream is held back on the way to the server.
  let asked!: () => void;
  const streamAsked = new Promise<void>((resolve) => (asked = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await phone.route('**/events*', async (route) => {
    asked();
    await released;
    await route.continue();
  });
  await phone.reload();
  await expect(phone.getByText('No tasks yet')).toBeVisible();
  await streamAsked;
  // Meanwhile, on the laptop: a change the phone's page was shown without.
  await addTask(laptop, 'Made before it listened');
  release();
  await expect(phone.getByRole('checkbox', { name: 'Made before it listened', exact: true })).toBeVisible();
});
