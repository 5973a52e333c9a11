import { defineConfig } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-ignore: plain JavaScript, shared with engines/run.mjs.
import { serverEnv } from './server-env.mjs';

// The release build, on its own port, with a throwaway database for this run.
const root = resolve(__dirname, '..');
const port = Number(process.env.E2E_PORT ?? 3107);
// Opened as localhost (APP_URL says so): browsers refuse an IP address as a passkey's relying
// party.
const baseURL = `http://localhost:${port}`;
// Set once in the runner process, so the workers (which load this file again) see the same
// directory: tests read the mail outbox there.
process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'seamless-e2e-'));
const dataDir = process.env.E2E_DATA_DIR;
const binary = process.env.SEAMLESS_BIN ?? join(root, 'target', 'release', 'seamless');
// The GitHub/Google stand-in (examples/oauth_standin.rs over the standins/ crate, built by
// `cargo test`).
const standinPort = Number(process.env.E2E_STANDIN_PORT ?? 3108);
const standin = `http://127.0.0.1:${standinPort}`;
const standinBinary = process.env.STANDIN_BIN ?? join(root, 'target', 'debug', 'examples', 'oauth_standin');
// A real OpenID provider (npm oidc-provider, end2end/oidc/provider.mjs), configured in the app
// the way an operator would: an `[[oidc]]` entry in the settings file, the secret in the
// environment.
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 3109);
const oidcIssuer = `http://127.0.0.1:${oidcPort}`;
const oidcSecret = 'oidc-e2e-client-secret';
const OIDC_NAME = 'Acme ID';
const config = join(dataDir, 'Leptos.toml');
writeFileSync(
  config,
  `${readFileSync(join(root, 'Leptos.toml'), 'utf8')}
[[oidc]]
slug = "acme-id"
name = "${OIDC_NAME}"
issuer = "${oidcIssuer}"
client_id = "seamless-e2e"
`,
);

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: '.report/results.json' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        // Never reach for the network: only this machine exists.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: [
    {
      command: `"${standinBinary}"`,
      url: `${standin}/google/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      env: { STANDIN_ADDR: `127.0.0.1:${standinPort}` },
    },
    {
      command: `node "${join(__dirname, 'oidc', 'provider.mjs')}"`,
      url: `${oidcIssuer}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      env: {
        OIDC_PORT: String(oidcPort),
        OIDC_REDIRECT_URI: `${baseURL}/auth/acme-id/callback`,
        OIDC_CLIENT_SECRET: oidcSecret,
      },
    },
    {
      command: `"${binary}"`,
      cwd: root,
      url: `http://127.0.0.1:${port}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        ...serverEnv({ root, port, baseURL, dataDir, standin }),
        APP_CONFIG: config,
        OIDC_ACME_ID_CLIENT_SECRET: oidcSecret,
      },
    },
  ],
});
