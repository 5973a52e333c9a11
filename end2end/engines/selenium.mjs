// WebKit (Safari's engine: Debian's WebKitGTK and its MiniBrowser), driven by
// selenium-webdriver through Debian's WebKitWebDriver (`usingServer`, so Selenium Manager
// downloads nothing). It needs a display: the runner runs under `xvfb-run`. One driver process
// and one session per browser context.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

import { Builder } from 'selenium-webdriver';

import { FIND_SOURCE } from './find.mjs';

const TIMEOUT = 10_000;
const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** A port nobody listens on. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on `port`. */
async function listening(port) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
  const find = async (selector, name) =>
    session.executeScript(
      `return (${FIND_SOURCE})(arguments[0], arguments[1])[0] || null;`,
      selector,
      name ?? null,
    );
  const count = (selector, name) =>
    session.executeScript(`return (${FIND_SOURCE})(arguments[0], arguments[1]).length;`, selector, name ?? null);
  const waitUntil = async (what, test) => {
    try {
      await session.wait(async () => test().catch(() => false), TIMEOUT);
    } catch (err) {
      throw new Error(`timed out waiting for ${what} (${err.message})`);
    }
  };
  const located = async (selector, name) => {
    let element = null;
    await waitUntil(`${selector} ${name ?? ''}`, async () => (element = await find(selector, name)) !== null);
    return element;
  };
  return {
    goto: (path) => session.get(baseURL + path),
    reload: () => session.navigate().refresh(),
    url: () => session.getCurrentUrl(),
    async waitForUrl(pattern) {
      await waitUntil(`the address ${pattern}`, async () => pattern.test(await session.getCurrentUrl()));
    },
    async fill(selector, text) {
      const element = await located(selector);
      await element.clear();
      await element.sendKeys(text);
    },
    async click(selector, name) {
      const element = await located(selector, name);
      await element.click();
    },
    async typeInto(selector, keys) {
      const element = await located(selector);
      // Focused as a Tab from the field before does it (a click lands on whichever part of
      // the field is under the pointer).
      await session.executeScript('arguments[0].focus();', element);
      await element.sendKeys(keys);
    },
    focused: (selector) =>
      session.executeScript('return document.activeElement ? document.activeElement.matches(arguments[0]) : false;', selector),
    waitFor: (selector, name) => waitUntil(`${selector} ${name ?? ''}`, async () => (await count(selector, name)) > 0),
    waitGone: (selector, name) => waitUntil(`no ${selector} ${name ?? ''}`, async () => (await count(selector, name)) === 0),
    has: async (selector, name) => (await count(selector, name)) > 0,
    texts: (selector) =>
      session.executeScript(
        'return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim());',
        selector,
      ),
    async cookies() {
      return (await session.manage().getCookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    },
    // WebKitWebDriver does not hand out the console.
    consoleErrors: async () => null,
  };
}
