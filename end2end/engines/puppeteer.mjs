// Firefox (Debian's firefox-esr), driven over WebDriver BiDi by puppeteer-core: no geckodriver,
// no download. One browser for the run; each test gets fresh browser contexts. Without the
// page's script (`script: false`) the context refuses the script's files (`/pkg/…`): with
// JavaScript turned off, Firefox's BiDi cannot read the page either.

import puppeteer from 'puppeteer-core';

import { makeDriver, TIMEOUT } from './driver.mjs';
import { FIND_SOURCE } from './find.mjs';

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
  const inPage = (script, ...args) => page.evaluate(script, FIND_SOURCE, ...args);
  return makeDriver({
    async find(selector, name) {
      const handle = await page.evaluateHandle(
        (source, selector, name) => new Function(`return (${source})`)()(selector, name)[0] ?? null,
        FIND_SOURCE,
        selector,
        name ?? null,
      );
      const element = handle.asElement();
      if (!element) await handle.dispose();
      return element;
    },
    count: (selector, name) =>
      inPage((source, selector, name) => new Function(`return (${source})`)()(selector, name).length, selector, name ?? null),
    goto: (path) => page.goto(baseURL + path),
    reload: () => page.reload(),
    url: async () => page.url(),
    async fill(element, text) {
      await element.click({ count: 3 });
      await element.evaluate((e) => {
        e.value = '';
      });
      await element.type(text);
    },
    click: (element) => element.click(),
    async typeInto(element, keys) {
      // Focused as a Tab from the field before does it (a click lands on whichever part of
      // the field is under the pointer).
      await element.focus();
      await element.type(keys);
    },
    texts: (selector) =>
      page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim()), selector),
    focused: (selector) => page.evaluate((selector) => document.activeElement?.matches(selector) ?? false, selector),
    async cookies() {
      return (await page.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    },
    consoleErrors: async () => messages.slice(),
  });
}
