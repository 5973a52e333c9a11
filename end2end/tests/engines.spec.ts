import { test } from '@playwright/test';
// @ts-ignore: plain JavaScript, shared with the Firefox and WebKit runners (engines/run.mjs).
import { TESTS } from '../engines/flows.mjs';
// @ts-ignore
import { chromium } from '../engines/playwright.mjs';

// The flows Firefox and WebKit run (`node engines/run.mjs firefox|webkit`), here in Chromium
// through the same page-object layer: one flow, three engines.
for (const flow of TESTS) {
  test(`every engine: ${flow.name}`, async ({ browser, baseURL }) => {
    const engine = chromium(browser, baseURL!);
    try {
      await flow.run(engine);
    } finally {
      await engine.closeContexts();
    }
  });
}
