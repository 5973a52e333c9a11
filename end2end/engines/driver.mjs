// What the three drivers share: waiting for what the page shows, built on each engine's few
// primitives, and a free port for what a run starts.

import { createServer } from 'node:net';

export const TIMEOUT = 10_000;

/** Resolves once `test()` is true (checked every 50 ms); fails after TIMEOUT saying `what`. */
export async function waitUntil(what, test) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    if (await test().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nobody listens on. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The driver the flows use, from an engine's primitives: `find(selector, name)` (the first
 * element `find.mjs` finds, or null), `count(selector, name)`, `url()`, and what acts on an
 * element (`fill`, `click`, `typeInto`) or the page (`goto`, `reload`, `texts`, `focused`,
 * `cookies`, `consoleErrors`).
 */
export function makeDriver(engine) {
  const described = (selector, name) => `${selector}${name == null ? '' : ` named "${name}"`}`;
  const located = async (selector, name) => {
    let element = null;
    await waitUntil(described(selector, name), async () => (element = await engine.find(selector, name)) !== null);
    return element;
  };
  return {
    goto: engine.goto,
    reload: engine.reload,
    url: engine.url,
    texts: engine.texts,
    focused: engine.focused,
    cookies: engine.cookies,
    consoleErrors: engine.consoleErrors,
    waitForUrl: (pattern) => waitUntil(`the address ${pattern}`, async () => pattern.test(await engine.url())),
    fill: async (selector, text) => engine.fill(await located(selector), text),
    click: async (selector, name) => engine.click(await located(selector, name)),
    typeInto: async (selector, keys) => engine.typeInto(await located(selector), keys),
    waitFor: (selector, name) => waitUntil(described(selector, name), async () => (await engine.count(selector, name)) > 0),
    waitGone: (selector, name) =>
      waitUntil(`no ${described(selector, name)}`, async () => (await engine.count(selector, name)) === 0),
    has: async (selector, name) => (await engine.count(selector, name)) > 0,
  };
}
