// WebKit (Safari's engine: Debian's WebKitGTK and its MiniBrowser), driven by
// selenium-webdriver through Debian's WebKitWebDriver (`usingServer`, so Selenium Manager
// downloads nothing). It needs a display: the runner runs under `xvfb-run`. One driver process
// and one session per browser context.

import { spawn } from 'node:child_process';

import { Builder } from 'selenium-webdriver';

import { freePort, makeDriver, waitUntil } from './driver.mjs';
import { FIND_SOURCE } from './find.mjs';
const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** Resolves once WebKitWebDriver answers on `port`. */
async function listening(port) {
  await waitUntil(`WebKitWebDriver on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok);
}

export async function webkit(baseURL) {
  const sessions = [];
  return {
    name: 'webkit',
    async open({ script = true } = {}) {
      const port = await freePort();
      const process_ = spawn(process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver', [`--port=${port}`], {
        stdio: 'ignore',
      });
      sessions.push({ process: process_ });
      await listening(port);
      const args = ['--automation'];
      if (!script) args.push('--enable-javascript=false');
      const session = await new Builder()
        .usingServer(`http://127.0.0.1:${port}`)
        .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args } })
        .build();
      sessions[sessions.length - 1].session = session;
      return driver(session, baseURL);
    },
    async closeContexts() {
      for (const { session, process: process_ } of sessions.splice(0)) {
        await session?.quit().catch(() => {});
        process_.kill();
      }
    },
    async stop() {
      await this.closeContexts();
    },
  };
}

function driver(session, baseURL) {
  return makeDriver({
    find: (selector, name) =>
      session.executeScript(`return (${FIND_SOURCE})(arguments[0], arguments[1])[0] || null;`, selector, name ?? null),
    count: (selector, name) =>
      session.executeScript(`return (${FIND_SOURCE})(arguments[0], arguments[1]).length;`, selector, name ?? null),
    goto: (path) => session.get(baseURL + path),
    reload: () => session.navigate().refresh(),
    url: () => session.getCurrentUrl(),
    async fill(element, text) {
      await element.clear();
      await element.sendKeys(text);
    },
    click: (element) => element.click(),
    async typeInto(element, keys) {
      // Focused as a Tab from the field before does it (a click lands on whichever part of
      // the field is under the pointer).
      await session.executeScript('arguments[0].focus();', element);
      await element.sendKeys(keys);
    },
    texts: (selector) =>
      session.executeScript('return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim());', selector),
    focused: (selector) =>
      session.executeScript('return document.activeElement ? document.activeElement.matches(arguments[0]) : false;', selector),
    async cookies() {
      return (await session.manage().getCookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    },
    // WebKitWebDriver does not hand out the console.
    consoleErrors: async () => null,
  });
}
