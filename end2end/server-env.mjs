// The environment the browser tests start the release build with (playwright.config.ts for
// Chromium, engines/run.mjs for Firefox and WebKit): its own address, a throwaway database,
// rate limits for many sign-ups from one machine, and GitHub and Google at the stand-in.

import { join } from 'node:path';

export function serverEnv({ root, port, baseURL, dataDir, standin }) {
  return {
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    APP_URL: baseURL,
    LEPTOS_SITE_ROOT: join(root, 'target', 'site'),
    APP_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'e2e.db')}`,
    LOG_ACCESS: 'false',
    RUST_LOG: 'warn',
    // Every test signs up from 127.0.0.1 within minutes: more than a person would.
    RATE_LIMIT_SIGN_UP_IP: '500/1h',
    RATE_LIMIT_SIGN_IN_IP: '500/15m',
    RATE_LIMIT_PROVIDER_START_IP: '500/15m',
    GITHUB_CLIENT_ID: 'seamless-test-client',
    GITHUB_CLIENT_SECRET: 'stand-in-client-secret',
    GITHUB_BASE_URL: standin,
    GITHUB_API_URL: `${standin}/api`,
    GOOGLE_CLIENT_ID: 'seamless-test-client',
    GOOGLE_CLIENT_SECRET: 'stand-in-client-secret',
    GOOGLE_ISSUER_URL: `${standin}/google`,
  };
}
