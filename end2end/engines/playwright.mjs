// The shared flows (`flows.mjs`) in Chromium, through Playwright: the same driver as the other
// engines' (`puppeteer.mjs`, `selenium.mjs`), over a browser Playwright's test runner started.

import { FIND_SOURCE } from './find.mjs';

const TIMEOUT = 10_000;

export function chromium(browser, baseURL) {
  const contexts = [];
  return {
    name: 'chromium',
    async open({ script = true } = {}) {
      const context = await browser.newContext({ baseURL, javaScriptEnabled: script });
      contexts.push(context);
      return driver(await context.newPage(), baseURL);
    },
    async closeContexts() {
      await Promise.all(contexts.splice(0).map((c) => c.close()));
    },
    async stop() {},
  };
}

function driver(page, baseURL) {
  const messages = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') messages.push(m.text());
  });
  const count = (selector, name) =>
    page.evaluate(
      ([source, selector, name]) => new Function(`return (${source})`)()(selector, name).length,
      [FIND_SOURCE, selector, name ?? null],
    );
  const find = async (selector, name) => {
    const handle = await page.evaluateHandle(
      ([source, selector, name]) => new Function(`return (${source})`)()(selector, name)[0] ?? null,
      [FIND_SOURCE, selector, name ?? null],
    );
    return handle.asElement();
  };
  const waitUntil = async (what, test) => {
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      if (await test().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const located = async (selector, name) => {
    let element = null;
    await waitUntil(`${selector} ${name ?? ''}`, async () => (element = await find(selector, name)) !== null);
    return element;
  };
  return {
    goto: (path) => page.goto(baseURL + path),
    reload: () => page.reload(),
    url: () => page.url(),
    async waitForUrl(pattern) {
      await waitUntil(`the address ${pattern}`, async () => pattern.test(page.url()));
    },
    async fill(selector, text) {
      await (await located(selector)).fill(text);
    },
    async click(selector, name) {
      await (await located(selector, name)).click();
    },
    async typeInto(selector, keys) {
      // Focused as a Tab from the field before does it (a click lands on whichever part of
      // the field is under the pointer).
      await (await located(selector)).focus();
      await page.keyboard.type(keys);
    },
    focused: (selector) => page.evaluate((selector) => document.activeElement?.matches(selector) ?? false, selector),
    waitFor: (selector, name) => waitUntil(`${selector} ${name ?? ''}`, async () => (await count(selector, name)) > 0),
    waitGone: (selector, name) => waitUntil(`no ${selector} ${name ?? ''}`, async () => (await count(selector, name)) === 0),
    has: async (selector, name) => (await count(selector, name)) > 0,
    texts: (selector) =>
      page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim()), selector),
    async cookies() {
      return (await page.context().cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    },
    consoleErrors: async () => messages.slice(),
  };
}
