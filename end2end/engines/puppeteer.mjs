// Firefox (Debian's firefox-esr), driven over WebDriver BiDi by puppeteer-core: no geckodriver,
// no download. One browser for the run; each test gets fresh browser contexts. Without the
// page's script (`script: false`) the context refuses the script's files (`/pkg/…`): with
// JavaScript turned off, Firefox's BiDi cannot read the page either.

import puppeteer from 'puppeteer-core';

import { FIND_SOURCE } from './find.mjs';

const TIMEOUT = 10_000;

export async function firefox(baseURL) {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: true,
  });
  const contexts = [];
  return {
    name: 'firefox',
    async open({ script = true } = {}) {
      const context = await browser.createBrowserContext();
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(TIMEOUT);
      if (!script) {
        await page.setRequestInterception(true);
        page.on('request', (request) => {
          if (new URL(request.url()).pathname.startsWith('/pkg/')) request.abort();
          else request.continue();
        });
      }
      return driver(page, baseURL);
    },
    async closeContexts() {
      await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
    },
    async stop() {
      await browser.close().catch(() => {});
    },
  };
}

function driver(page, baseURL) {
  const messages = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') messages.push(m.text());
  });
  const find = async (selector, name) => {
    const handle = await page.evaluateHandle(
      (source, selector, name) => {
        const find = new Function(`return (${source})`)();
        return find(selector, name)[0] ?? null;
      },
      FIND_SOURCE,
      selector,
      name ?? null,
    );
    const element = handle.asElement();
    if (!element) {
      await handle.dispose();
      return null;
    }
    return element;
  };
  const count = (selector, name) =>
    page.evaluate(
      (source, selector, name) => new Function(`return (${source})`)()(selector, name).length,
      FIND_SOURCE,
      selector,
      name ?? null,
    );
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
      const element = await located(selector);
      await element.click({ count: 3 });
      await element.evaluate((e) => {
        e.value = '';
      });
      await element.type(text);
    },
    async click(selector, name) {
      const element = await located(selector, name);
      await element.click();
    },
    async typeInto(selector, keys) {
      const element = await located(selector);
      // Focused as a Tab from the field before does it (a click lands on whichever part of
      // the field is under the pointer).
      await element.focus();
      await element.type(keys);
    },
    focused: (selector) => page.evaluate((selector) => document.activeElement?.matches(selector) ?? false, selector),
    waitFor: (selector, name) => waitUntil(`${selector} ${name ?? ''}`, async () => (await count(selector, name)) > 0),
    waitGone: (selector, name) => waitUntil(`no ${selector} ${name ?? ''}`, async () => (await count(selector, name)) === 0),
    has: async (selector, name) => (await count(selector, name)) > 0,
    texts: (selector) =>
      page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim()), selector),
    async cookies() {
      return (await page.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    },
    consoleErrors: async () => messages.slice(),
  };
}
