// What a person does, written once for every browser engine: the steps (sign up, add a task,
// …) and the tests made of them. Each takes a driver (`playwright.mjs` for Chromium,
// `puppeteer.mjs` for Firefox, `selenium.mjs` for WebKit) that finds elements by a CSS
// selector and, where given, their accessible name, clicks them and types into them as a
// person would (native input events: `typeInto` types keys into a field as it is, the way a
// date field takes them), and waits for what the page shows.

export const PASSWORD = 'violet staple orbit canyon';

let counter = 0;
/** A fresh address for each sign-up (the database lives for the whole run). */
export function uniqueEmail(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}@example.com`;
}

/** Fails with `message` unless `condition` holds. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits until the page's script has started (the pages that load it). */
export async function hydrated(d) {
  await d.waitFor('body[data-hydrated]');
}

export async function signUp(d, name, email, { script = true } = {}) {
  await d.goto('/signup');
  await d.fill('input[name="name"]', name);
  await d.fill('input[name="email"]', email);
  await d.fill('input[name="password"]', PASSWORD);
  await d.click('button[type="submit"]', 'Create account');
  await d.waitForUrl(/\/todos$/);
  if (script) await hydrated(d);
}

export async function signIn(d, email, { script = true } = {}) {
  await d.goto('/login');
  await d.fill('input[name="email"]', email);
  await d.fill('input[name="password"]', PASSWORD);
  await d.click('button[type="submit"]', 'Sign in');
  await d.waitForUrl(/\/todos$/);
  if (script) await hydrated(d);
}

export async function signOut(d) {
  await d.click('button', 'Sign out');
  await d.waitForUrl(/\/$/);
  await d.waitFor('a', 'Sign in');
}

const TASK = '.todo-list [role="checkbox"]';

/** The task titles, top to bottom. */
export async function titles(d) {
  return d.texts(TASK);
}

export async function addTask(d, title) {
  await d.fill('#new-task', title);
  await d.click('.add-form button', 'Add');
  await d.waitFor(TASK, title);
}

export async function complete(d, title) {
  await d.click(TASK, title);
  await d.waitFor(`${TASK}[aria-checked="true"]`, title);
}

export async function rename(d, title, to) {
  await d.click('.todo-list button[name="edit"]', `Edit ${title}`);
  await d.fill('.todo__edit input[name="title"]', to);
  await d.click('.todo__edit button[type="submit"]', 'Save');
  await d.waitFor(TASK, to);
}

export async function remove(d, title) {
  await d.click('.todo-list button[name="id"]:not([role])', `Delete ${title}`);
  await d.waitGone(TASK, title);
}

/** The golden path: sign up, three tasks, complete, rename, delete, reload, sign out and in. */
async function goldenPath(d, { script }) {
  const email = uniqueEmail('golden');
  await signUp(d, 'Gold Path', email, { script });
  for (const title of ['Buy milk', 'Write report', 'Call the bank']) {
    await addTask(d, title);
  }
  await complete(d, 'Buy milk');
  await rename(d, 'Write report', 'Write the quarterly report');
  await remove(d, 'Call the bank');
  const expected = ['Buy milk', 'Write the quarterly report'];
  check(JSON.stringify(await titles(d)) === JSON.stringify(expected), `tasks: ${await titles(d)}`);
  await d.reload();
  check(JSON.stringify(await titles(d)) === JSON.stringify(expected), `after a reload: ${await titles(d)}`);
  check(await d.has(`${TASK}[aria-checked="true"]`, 'Buy milk'), 'the done task is still done');
  await signOut(d);
  await signIn(d, email, { script });
  check(JSON.stringify(await titles(d)) === JSON.stringify(expected), `signed in again: ${await titles(d)}`);
  if (!script) check(!(await d.has('body[data-hydrated]')), 'the page script ran after all');
}

/** The tests every engine runs. `engine.open({ script })` opens a fresh browser context. */
export const TESTS = [
  {
    name: 'the golden path: sign up, add, complete, rename, delete, reload, sign out and in',
    run: async (engine) => goldenPath(await engine.open(), { script: true }),
  },
  {
    name: 'the golden path without the page script, with plain forms',
    run: async (engine) => goldenPath(await engine.open({ script: false }), { script: false }),
  },
  ...[
    ['GitHub', 'The Octocat'],
    ['Google', 'Gina Google'],
  ].map(([provider, name]) => ({
    name: `"Continue with ${provider}" against the stand-in ends signed in on the task list`,
    run: async (engine) => {
      const d = await engine.open();
      await d.goto('/login');
      await hydrated(d);
      await d.click('.providers a', `Continue with ${provider}`);
      await d.waitForUrl(/\/todos$/);
      await d.waitFor('nav[aria-label="Account"] *', name);
      check(await d.has('#new-task'), 'the task list is there');
    },
  })),
  {
    name: 'a session revoked from another browser signs this one out with the "expired" message',
    run: async (engine) => {
      const email = uniqueEmail('revoked');
      const phone = await engine.open();
      await signUp(phone, 'Phone', email);
      await addTask(phone, 'Before');
      const laptop = await engine.open();
      await signIn(laptop, email);
      await laptop.goto('/account');
      await hydrated(laptop);
      await laptop.click('[aria-label="Active sessions"] li:not(:has(.badge)) button', 'Revoke');
      await laptop.waitFor('[role="status"]', 'The session is revoked.');
      await phone.fill('#new-task', 'After being revoked');
      await phone.click('.add-form button', 'Add');
      await phone.waitForUrl(/\/login\?next=%2Ftodos&reason=expired$/);
      await phone.waitFor('[role="status"]', 'Your session has expired. Please sign in again.');
    },
  },
  {
    name: 'a due date typed into the date field is saved as that day, and the edit field has the focus',
    run: async (engine) => {
      const d = await engine.open();
      await signUp(d, 'Dee Date', uniqueEmail('date'));
      await addTask(d, 'Renew passport');
      await d.click('.todo-list button[name="edit"]', 'Edit Renew passport');
      await d.waitFor('.todo__edit input[name="title"]');
      check(await d.focused('.todo__edit input[name="title"]'), 'the edit field has the focus');
      // As a person types it (month, day, year: the order of the machine's locale, en-US or C).
      await d.typeInto('.todo__edit input[type="date"]', '12/24/2030');
      await d.click('.todo__edit button[type="submit"]', 'Save');
      await d.waitFor('.todo-list time[datetime="2030-12-24"]');
      check(await d.focused('.todo-list button[name="edit"]'), 'after the save the focus is back on the task');
    },
  },
  {
    name: 'a delete answered with a redirect is shown in place, and "Undo" puts the task back',
    run: async (engine) => {
      const d = await engine.open();
      await signUp(d, 'Undo Everywhere', uniqueEmail('undo'));
      await addTask(d, 'Keep');
      await addTask(d, 'Gone for a moment');
      await remove(d, 'Gone for a moment');
      await d.waitFor('[role="status"] span', 'Deleted \u201cGone for a moment\u201d.');
      check(/\/todos$/.test(await d.url()), `the page stayed in place: ${await d.url()}`);
      await d.click('[role="status"] button', 'Undo');
      await d.waitFor(TASK, 'Gone for a moment');
      check(JSON.stringify(await titles(d)) === JSON.stringify(['Keep', 'Gone for a moment']), `tasks: ${await titles(d)}`);
    },
  },
  {
    name: 'the session cookie is HttpOnly and SameSite=Lax, and the page starts under the CSP',
    run: async (engine) => {
      const d = await engine.open();
      await signUp(d, 'Cookie Check', uniqueEmail('cookie'));
      await addTask(d, 'Enhanced');
      const session = (await d.cookies()).find((c) => c.name === 'seamless_session');
      check(session, 'a session cookie');
      check(session.httpOnly, 'the session cookie is HttpOnly');
      check(session.sameSite === 'Lax', `the session cookie is SameSite=${session.sameSite}`);
      const errors = await d.consoleErrors();
      if (errors !== null) {
        const csp = errors.filter((e) => /Content[- ]Security[- ]Policy|Refused to/i.test(e));
        check(csp.length === 0, `CSP errors: ${csp.join(' | ')}`);
      }
    },
  },
];
