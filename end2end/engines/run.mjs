// The end-to-end tests in another browser engine: `node engines/run.mjs firefox` (Firefox over
// WebDriver BiDi) or `xvfb-run -a node engines/run.mjs webkit` (WebKit over WebDriver). Starts
// the release build on a throwaway database and the GitHub/Google stand-in, runs the tests of
// `flows.mjs` one after another, each in fresh browser contexts, and prints
// `<engine>: N passed, N failed` (also written to .report/<engine>.json). Exit status 1 if any
// failed.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serverEnv } from '../server-env.mjs';
import { freePort } from './driver.mjs';
import { TESTS } from './flows.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const engineName = process.argv[2];
const only = process.argv[3];

async function answers(url) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Most one test may take. */
const TEST_LIMIT = 120_000;

/** `promise`, or an error with `reason()`'s message once `ms` have passed without it. */
async function within(ms, promise, reason) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(reason())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const children = [];
function start(command, env) {
  const child = spawn(command, [], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function main() {
  const engines = {
    firefox: async (base) => (await import('./puppeteer.mjs')).firefox(base),
    webkit: async (base) => (await import('./selenium.mjs')).webkit(base),
  };
  if (!engines[engineName]) {
    console.error('usage: node engines/run.mjs firefox|webkit [part of a test name]');
    process.exit(2);
  }
  const port = await freePort();
  const standinPort = await freePort();
  const base = `http://localhost:${port}`;
  const standin = `http://127.0.0.1:${standinPort}`;
  const data = mkdtempSync(join(tmpdir(), `seamless-${engineName}-`));
  start(process.env.STANDIN_BIN ?? join(root, 'target', 'debug', 'examples', 'oauth_standin'), {
    STANDIN_ADDR: `127.0.0.1:${standinPort}`,
  });
  start(
    process.env.SEAMLESS_BIN ?? join(root, 'target', 'release', 'seamless'),
    serverEnv({ root, port, baseURL: base, dataDir: data, standin }),
  );
  await answers(`${standin}/google/.well-known/openid-configuration`);
  await answers(`http://127.0.0.1:${port}/readyz`);

  const results = [];
  // A browser that does not start (a missing package, no display, a driver that hangs on its
  // new-session call) is a failure with its reason in the report, not a missing report.
  let engine;
  try {
    engine = await within(120_000, engines[engineName](base), () => `${engineName} did not start within 120 s`);
  } catch (err) {
    results.push({ name: `${engineName} starts`, ok: false, error: String(err?.stack ?? err) });
    console.log(`  FAIL  ${engineName} starts\n        ${String(err?.message ?? err)}`);
  }
  if (engine) {
    // A test that hangs (a driver that never answers) fails after TEST_LIMIT, and the ones
    // after it are reported as not run, so the report is written well within scripts/test's
    // `timeout`.
    let hung = false;
    for (const test of TESTS.filter((t) => !only || t.name.includes(only))) {
      if (hung) {
        results.push({ name: test.name, ok: false, error: 'not run: an earlier test did not finish' });
        console.log(`  FAIL  ${test.name}\n        not run: an earlier test did not finish`);
        continue;
      }
      const started = Date.now();
      try {
        await within(TEST_LIMIT, test.run(engine), () => {
          hung = true;
          return `did not finish within ${TEST_LIMIT / 1000} s`;
        });
        results.push({ name: test.name, ok: true });
        console.log(`  ok    ${test.name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      } catch (err) {
        results.push({ name: test.name, ok: false, error: String(err?.stack ?? err) });
        console.log(`  FAIL  ${test.name}\n        ${String(err?.message ?? err).split('\n').join('\n        ')}`);
      } finally {
        await within(20_000, engine.closeContexts(), () => 'closing the browser hung').catch(() => {});
      }
    }
    await within(20_000, engine.stop(), () => 'stopping the browser hung').catch(() => {});
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  mkdirSync(join(here, '..', '.report'), { recursive: true });
  writeFileSync(join(here, '..', '.report', `${engineName}.json`), JSON.stringify({ passed, failed, results }, null, 2));
  console.log(`${engineName}: ${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  // Setting up failed (the server or the stand-in did not answer): a report that says so.
  console.error(err);
  mkdirSync(join(here, '..', '.report'), { recursive: true });
  const results = [{ name: 'setting up', ok: false, error: String(err?.stack ?? err) }];
  writeFileSync(join(here, '..', '.report', `${engineName}.json`), JSON.stringify({ passed: 0, failed: 1, results }, null, 2));
  console.log(`${engineName}: 0 passed, 1 failed`);
} finally {
  for (const child of children) child.kill();
}
process.exit(code);
