import { expect, type Locator, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PASSWORD = 'violet staple orbit canyon';

/** A fresh address per test, so tests never share an account. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Waits until the wasm bundle has enhanced the page's forms, on the pages that load it
 *  (`/todos`, `/account`); the others are plain HTML, ready as they load, and must reference
 *  no script at all. */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForLoadState('domcontentloaded');
  if ((await page.locator('script[type="module"]').count()) > 0) {
    await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
  } else {
    await expect(page.locator('script')).toHaveCount(0);
  }
}

/** Creates an account and lands on `/todos`; `script: false` for a browser with JavaScript
 *  off (nothing is enhanced there to wait for). */
export async function signUp(
  page: Page,
  name: string,
  email: string,
  password = PASSWORD,
  { script = true } = {},
): Promise<void> {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/todos$/);
  if (script) await hydrated(page);
}

/** Fills in and sends the sign-in form; where it leads is the caller's to check. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await submitSignIn(page, email, password);
  await expect(page).toHaveURL(/\/todos$/);
  await hydrated(page);
}

/** On `/account`: "Set up authenticator app", until its QR code shows. The section, and the
 *  `otpauth://` link an app would read. */
export async function setUpAuthenticator(page: Page): Promise<{ section: Locator; link: string }> {
  await page.goto('/account');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Two-factor authentication' });
  await section.getByRole('button', { name: 'Set up authenticator app' }).click();
  await expect(section.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const link = await section.getByRole('link', { name: 'open it in your authenticator app' }).getAttribute('href');
  return { section, link: link ?? '' };
}

export async function addTask(page: Page, title: string): Promise<void> {
  await page.getByRole('textbox', { name: 'New task' }).fill(title);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('checkbox', { name: title, exact: true })).toBeVisible();
}

/** Adds "Task 1" to "Task n" through the server function the add form posts to, with the
 *  page's cookie: a long list without typing each task. */
export async function addTasksDirectly(page: Page, baseURL: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const res = await page.request.post('/rpc/add_todo', {
      form: { title: `Task ${i}` },
      headers: { Origin: baseURL, Accept: 'application/json' },
    });
    expect(res.status()).toBe(200);
  }
}

/** The newest email to `to` in the app's outbox (no SMTP_URL: messages are .eml files). */
export function newestMailTo(to: string): string | undefined {
  const dir = join(process.env.E2E_DATA_DIR!, 'outbox');
  const files = readdirSync(dir)
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of files) {
    const raw = readFileSync(file, 'utf8');
    if (raw.includes(`To: ${to}`)) {
      // Quoted-printable: join soft line breaks, decode "=3D".
      return raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    }
  }
  return undefined;
}

export async function linkFromMail(to: string, path: string): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(() => {
      link = newestMailTo(to)?.match(new RegExp(`https?://\\S+${path}\\?token=[\\w-]+`))?.[0];
      return link;
    })
    .toBeTruthy();
  return new URL(link!).pathname + new URL(link!).search;
}

/** An authenticator app: the RFC 6238 code (HMAC-SHA-1, 6 digits, 30-second steps) of the
 *  secret in an `otpauth://` link, `steps` time steps from now. */
export function totpCode(otpauthUrl: string, steps = 0): string {
  const secret = new URL(otpauthUrl).searchParams.get('secret') ?? '';
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}
