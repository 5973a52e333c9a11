// The shared flows (`flows.mjs`) in Chromium, through Playwright: the same driver as the other
// engines' (`puppeteer.mjs`, `selenium.mjs`), over a browser Playwright's test runner started.

import { makeDriver } from './driver.mjs';
import { FIND_SOURCE } from './find.mjs';

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
  return makeDriver({
    async find(selector, name) {
      const handle = await page.evaluateHandle(
        ([source, selector, name]) => new Function(`return (${source})`)()(selector, name)[0] ?? null,
        [FIND_SOURCE, selector, name ?? null],
      );
      return handle.asElement();
    },
    count: (selector, name) =>
      page.evaluate(
        ([source, selector, name]) => new Function(`return (${source})`)()(selector, name).length,
        [FIND_SOURCE, selector, name ?? null],
      ),
    goto: (path) => page.goto(baseURL + path),
    reload: () => page.reload(),
    url: async () => page.url(),
    fill: (element, text) => element.fill(text),
    click: (element) => element.click(),
    async typeInto(element, keys) {
      // Focused as a Tab from the field before does it (a click lands on whichever part of
      // the field is under the pointer).
      await element.focus();
      await page.keyboard.type(keys);
    },
    texts: (selector) =>
      page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim()), selector),
    focused: (selector) => page.evaluate((selector) => document.activeElement?.matches(selector) ?? false, selector),
    async cookies() {
      return (await page.context().cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    },
    consoleErrors: async () => messages.slice(),
  });
}
